"""The agent desk: where human advisors take over conversations (served on :8080 under /desk/)."""
