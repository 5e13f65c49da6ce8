import type { PgQueuer } from '../pgqueuer.js';
import type { ActionOutcome } from './actions.js';
import { html, type Html } from './html.js';
import { checkSchema, type SchemaIssue } from './json-schema-check.js';
import type { JsonSchema, Manifest } from './manifest.js';

/** An enqueue the server refused: what was entered and why, to show the form again. */
export interface RefusedForm {
  form: URLSearchParams;
  issues: SchemaIssue[];
}

type FieldKind = 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'json';

interface Field {
  name: string;
  kind: FieldKind;
  schema: JsonSchema;
  required: boolean;
}

function kindOf(schema: JsonSchema): FieldKind {
  if (schema.enum && schema.enum.every((e) => typeof e === 'string')) return 'enum';
  if (schema.type === 'string' || schema.type === 'number' || schema.type === 'integer' || schema.type === 'boolean') return schema.type;
  return 'json';
}

/** The schema's constraints in words, under the field: what the page and the server will check. */
function constraints(s: JsonSchema): string {
  const parts: string[] = [];
  const type = Array.isArray(s.type) ? s.type.join(' or ') : s.type;
  if (s.format) parts.push(s.format);
  else if (type && type !== 'string') parts.push(type);
  if (s.minimum !== undefined) parts.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) parts.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER) parts.push(`≤ ${s.maximum}`);
  if (s.exclusiveMaximum !== undefined) parts.push(`< ${s.exclusiveMaximum}`);
  if (s.minLength !== undefined) parts.push(`at least ${s.minLength} characters`);
  if (s.maxLength !== undefined) parts.push(`at most ${s.maxLength} characters`);
  if (s.minItems !== undefined) parts.push(`at least ${s.minItems} items`);
  if (s.maxItems !== undefined) parts.push(`at most ${s.maxItems} items`);
  if (s.pattern !== undefined && s.format === undefined) parts.push(`matches ${s.pattern}`);
  return parts.join(', ');
}

/**
 * One form per job of the manifest, generated from its payload's JSON Schema: a typed input
 * per top-level field (with the constraints the browser checks before sending: required,
 * type=email, min/max, lengths, anchored patterns), a JSON text box for nested values. The
 * server parses the form back into a payload and checks it against the schema again.
 */
export class EnqueueForms {
  constructor(private readonly manifest: Manifest) {}

  /** Jobs that can be enqueued by hand: those with a payload schema (schedule ticks have none). */
  jobs(): string[] {
    return Object.entries(this.manifest.jobs).filter(([, job]) => job.payload).map(([name]) => name).sort();
  }

  private fields(name: string): Field[] | null {
    const schema = this.manifest.jobs[name]?.payload;
    if (!schema) return null;
    if (schema.type !== 'object' || !schema.properties) return [{ name: '$payload', kind: 'json', schema, required: true }];
    const required = new Set(schema.required ?? []);
    return Object.entries(schema.properties).map(([key, s]) => ({ name: key, kind: kindOf(s), schema: s, required: required.has(key) }));
  }

  /**
   * A grouped job's group: the schema file computes it with a function the dashboard cannot
   * run, so the operator names it (a field outside the payload's, hence the "$").
   */
  private groupField(name: string): Field | null {
    if (!this.manifest.jobs[name]?.grouped) return null;
    return { name: '$group', kind: 'string', schema: { type: 'string', minLength: 1, description: 'groupConcurrency applies per group' }, required: true };
  }

  /** The form; after a refusal, with what was entered and what the server found wrong. */
  render(name: string, action: string, csrf: string, refused?: RefusedForm): Html | null {
    const fields = this.fields(name);
    if (!fields) return null;
    const group = this.groupField(name);
    return html`<form method="post" action="${action}" class="enqueue" data-job="${name}">
      <input type="hidden" name="_csrf" value="${csrf}">
      ${refused ? html`<div class="notice bad" role="alert" data-field="issues"><p>Refused by the server, nothing enqueued:</p>
        <ul>${refused.issues.map((i) => html`<li>${i.path}: ${i.message}</li>`)}</ul></div>` : ''}
      ${fields.map((f) => this.input(f, refused?.form))}
      ${group ? this.input(group, refused?.form) : ''}
      <button type="submit">Enqueue ${name}</button>
    </form>`;
  }

  private input(f: Field, entered?: URLSearchParams): Html {
    const s = f.schema;
    // What the operator typed wins over the schema's default, so a refusal loses nothing.
    const typed = entered?.get(f.name) ?? undefined;
    const id = `field-${f.name}`;
    const label = html`<label for="${id}">${f.name === '$payload' ? 'payload (JSON)' : f.name === '$group' ? 'group' : f.name}${f.required ? html` <span class="req">*</span>` : ''}</label>`;
    const rules = constraints(s);
    const hint = s.description || rules ? html`<small>${[s.description, rules].filter(Boolean).join(' · ')}</small>` : '';
    const req = f.required ? html` required` : '';
    switch (f.kind) {
      case 'boolean':
        return html`<div class="field">${label}<input type="checkbox" id="${id}" name="${f.name}" value="true"${(entered ? typed === 'true' : s.default === true) ? html` checked` : ''}>${hint}</div>`;
      case 'enum':
        return html`<div class="field">${label}<select id="${id}" name="${f.name}"${req}>${f.required ? '' : html`<option value=""></option>`}
          ${(s.enum as string[]).map((e) => html`<option${e === (typed ?? s.default) ? html` selected` : ''}>${e}</option>`)}</select>${hint}</div>`;
      case 'number':
      case 'integer': {
        const min = s.minimum ?? (s.exclusiveMinimum !== undefined && f.kind === 'integer' ? s.exclusiveMinimum + 1 : undefined);
        const max = s.maximum ?? (s.exclusiveMaximum !== undefined && f.kind === 'integer' ? s.exclusiveMaximum - 1 : undefined);
        return html`<div class="field">${label}<input type="number" id="${id}" name="${f.name}" step="${f.kind === 'integer' ? '1' : 'any'}"
          ${min !== undefined ? html` min="${min}"` : ''}${max !== undefined ? html` max="${max}"` : ''}${req}
          value="${typed ?? (typeof s.default === 'number' ? s.default : '')}">${hint}</div>`;
      }
      case 'string': {
        // HTML anchors a pattern itself; only an already anchored one means the same there.
        const pattern = s.format !== 'email' && s.pattern?.startsWith('^') && s.pattern.endsWith('$') ? s.pattern.slice(1, -1) : undefined;
        return html`<div class="field">${label}<input type="${s.format === 'email' ? 'email' : 'text'}" id="${id}" name="${f.name}"
          ${s.minLength !== undefined ? html` minlength="${s.minLength}"` : ''}${s.maxLength !== undefined ? html` maxlength="${s.maxLength}"` : ''}
          ${pattern ? html` pattern="${pattern}"` : ''}${req} value="${typed ?? (typeof s.default === 'string' ? s.default : '')}">${hint}</div>`;
      }
      default:
        return html`<div class="field">${label}<textarea id="${id}" name="${f.name}" rows="3" data-json${req}
          placeholder="JSON">${typed ?? (s.default !== undefined ? JSON.stringify(s.default) : '')}</textarea>${hint}</div>`;
    }
  }

  /** The payload a form describes, and what is wrong with it. */
  parse(name: string, form: URLSearchParams): { payload: unknown; issues: SchemaIssue[] } | null {
    const fields = this.fields(name);
    const schema = this.manifest.jobs[name]?.payload;
    if (!fields || !schema) return null;
    const issues: SchemaIssue[] = [];
    const readJson = (field: string, text: string): unknown => {
      try {
        return JSON.parse(text);
      } catch {
        issues.push({ path: field, message: 'not valid JSON' });
        return undefined;
      }
    };
    if (fields[0]?.name === '$payload') {
      const payload = readJson('(payload)', form.get('$payload') ?? '');
      return { payload, issues: issues.length ? issues : checkSchema(schema, payload) };
    }
    const payload: Record<string, unknown> = {};
    for (const f of fields) {
      const text = form.get(f.name);
      if (f.kind === 'boolean') {
        payload[f.name] = text === 'true';
        continue;
      }
      if (text === null || text === '') continue; // absent: "required" is the schema's to say
      if (f.kind === 'number' || f.kind === 'integer') {
        const n = Number(text);
        if (Number.isNaN(n)) issues.push({ path: f.name, message: 'not a number' });
        else payload[f.name] = n;
      } else if (f.kind === 'json') {
        const v = readJson(f.name, text);
        if (v !== undefined) payload[f.name] = v;
      } else payload[f.name] = text;
    }
    return { payload, issues: [...issues, ...checkSchema(schema, payload)] };
  }

  async enqueue(name: string, form: URLSearchParams, pgq: PgQueuer): Promise<ActionOutcome> {
    const parsed = this.parse(name, form);
    if (!parsed) return { to: '/enqueue', notice: `${name} is not a job of the manifest` };
    if (parsed.issues.length) {
      const list = parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ');
      return { notice: `refused, nothing enqueued: ${list}`, refused: { form, issues: parsed.issues } };
    }
    const group = this.groupField(name) ? (form.get('$group') ?? '') : undefined;
    if (group === '') return { notice: 'refused, nothing enqueued: group: required', refused: { form, issues: [{ path: 'group', message: 'required' }] } };
    const id = await pgq.enqueue(name, parsed.payload, group === undefined ? {} : { group });
    return { to: `/jobs/${id}`, notice: `${name} enqueued as job ${id}` };
  }
}
