-- Units not checked from a day on (seed 000: 标注红色的单位不列入检查和考核), with the document that says so.
ALTER TABLE units ADD COLUMN exempt_from date, ADD COLUMN exempt_basis text,
    ADD CONSTRAINT units_exemption_whole CHECK ((exempt_from IS NULL) = (exempt_basis IS NULL));
