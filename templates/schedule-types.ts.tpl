// ── {{name}} ── runs on "{{schedule}}"{{timezoneNote}}; its handler gets a ScheduleTick.
