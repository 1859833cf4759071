-- Abnormal data the library found in licenses it accepted (电子证照总库异常数据), and when each was corrected.
CREATE TABLE anomalies (
    license_id    text NOT NULL,
    issuer        text NOT NULL,
    license_type  text NOT NULL,
    code          text NOT NULL,
    detail        text NOT NULL,
    found_at      timestamptz NOT NULL,
    corrected_at  timestamptz,
    PRIMARY KEY (license_id, code, found_at)
);
CREATE UNIQUE INDEX anomalies_open ON anomalies (license_id, code) WHERE corrected_at IS NULL;
CREATE INDEX anomalies_by_issuer ON anomalies (issuer, corrected_at);
CREATE INDEX licenses_by_number ON licenses (issuer, license_type, number);
