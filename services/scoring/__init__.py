"""gov-hub scoring service: Live monthly scores under the gx-2019 rules: projection, ledger, findings, month close, replay."""
