// ── {{name}} ──
/** What producers send to `{{name}}`. */
{{payloadDeclaration}}
/** The `{{name}}` payload as its handler sees it, after parsing (defaults and transforms applied). */
{{parsedDeclaration}}
/** What the `{{name}}` handler returns and `job.result()` resolves with. */
{{resultDeclaration}}
