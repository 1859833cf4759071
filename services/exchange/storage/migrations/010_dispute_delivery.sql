-- An upheld dispute on a table or file resource names the delivery (batch or file version) that corrected it.
ALTER TABLE disputes ADD COLUMN correction_delivery text;
