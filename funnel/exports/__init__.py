"""Exports of leads, call reports, campaigns, touches and metrics as CSV or JSON lines, streamed from a
server-side cursor and safe to open in a spreadsheet."""
