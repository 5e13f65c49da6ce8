import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, test } from 'node:test';
import { basicAuthOk, CsrfTokens, parseCredentials, sameOrigin } from '../../src/web/access.js';
import type { PgQueuer } from '../../src/pgqueuer.js';
import { EnqueueForms } from '../../src/web/enqueue-forms.js';
import { html, jsonForHtml } from '../../src/web/html.js';
import { checkSchema } from '../../src/web/json-schema-check.js';

const request = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage;

describe('web dashboard: escaping', () => {
  test('every interpolated value is escaped; nested html and arrays are kept', () => {
    const name = '<img src=x onerror=alert(1)> & "quotes" \'too\'';
    const out = html`<td title="${name}">${name}</td>${[html`<b>${'<i>'}</b>`, 3]}`.text;
    assert.equal(
      out,
      '<td title="&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot; &#39;too&#39;">&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot; &#39;too&#39;</td><b>&lt;i&gt;</b>3',
    );
    assert.equal(html`${null}${undefined}${false}`.text, '');
  });

  test('JSON for an attribute cannot close a tag', () => {
    assert.equal(jsonForHtml(['</script>']), '["\\u003c/script>"]');
  });
});

describe('web dashboard: access', () => {
  test('credentials: user:password, the password may hold colons', () => {
    assert.deepEqual(parseCredentials('ops:a:b'), { username: 'ops', password: 'a:b' });
    assert.equal(parseCredentials('nopassword'), null);
    assert.equal(parseCredentials(':x'), null);
    assert.equal(parseCredentials('x:'), null);
  });

  test('basic auth accepts exactly the configured user and password', () => {
    const creds = { username: 'ops', password: 's3cret' };
    const basic = (text: string) => request({ authorization: `Basic ${Buffer.from(text).toString('base64')}` });
    assert.equal(basicAuthOk(basic('ops:s3cret'), creds), true);
    assert.equal(basicAuthOk(basic('ops:wrong'), creds), false);
    assert.equal(basicAuthOk(basic('other:s3cret'), creds), false);
    assert.equal(basicAuthOk(request({}), creds), false);
  });

  test('CSRF tokens are bound to the session cookie and the secret', () => {
    const tokens = new CsrfTokens('secret-a');
    const { id, setCookie } = tokens.session(request({}), '/pgq');
    assert.match(setCookie!, /^pgq_session=[\w-]+; Path=\/pgq; HttpOnly; SameSite=Strict$/);
    assert.match(tokens.session(request({ 'x-forwarded-proto': 'https' }), '/').setCookie!, /; Secure$/);
    const withCookie = request({ cookie: `other=1; pgq_session=${id}` });
    assert.equal(tokens.session(withCookie, '/pgq').setCookie, undefined);
    assert.equal(tokens.verify(withCookie, tokens.token(id)), true);
    assert.equal(tokens.verify(withCookie, new CsrfTokens('secret-b').token(id)), false);
    assert.equal(tokens.verify(request({}), tokens.token(id)), false);
    assert.equal(tokens.verify(withCookie, undefined), false);
  });

  test('same origin: Origin must name this host; Sec-Fetch-Site must say same-origin', () => {
    assert.equal(sameOrigin(request({ host: 'q.example:8080', origin: 'https://q.example:8080' })), true);
    assert.equal(sameOrigin(request({ host: 'q.example:8080', origin: 'https://evil.example' })), false);
    assert.equal(sameOrigin(request({ host: 'q.example', origin: 'null' })), false);
    assert.equal(sameOrigin(request({ host: 'q.example', 'sec-fetch-site': 'cross-site' })), false);
    assert.equal(sameOrigin(request({ host: 'q.example', 'sec-fetch-site': 'same-origin' })), true);
  });
});

describe('web dashboard: enqueue forms', () => {
  const forms = new EnqueueForms({
    jobs: {
      signup: {
        fingerprint: 'x', schedule: null, timezone: null, options: {}, result: null,
        payload: {
          type: 'object',
          properties: {
            email: { type: 'string', format: 'email' },
            age: { type: 'integer', minimum: 18 },
            plan: { type: 'string', enum: ['free', 'pro'] },
            vip: { type: 'boolean' },
            tags: { type: 'array', items: { type: 'string' }, maxItems: 2 },
          },
          required: ['email', 'age'],
          additionalProperties: false,
        },
      },
      nightly: { fingerprint: 'y', schedule: '0 3 * * *', timezone: null, options: {}, payload: null, result: null },
      report: {
        fingerprint: 'z', schedule: null, timezone: null, options: { groupConcurrency: 1 }, grouped: true, result: null,
        payload: { type: 'object', properties: { tenant: { type: 'string' } }, required: ['tenant'] },
      },
    },
  });

  test("a grouped job's form asks for the group, and refuses without one, keeping what was entered", async () => {
    assert.match(forms.render('report', '/enqueue/report', 'tok')!.text, /<label for="field-\$group">group <span class="req">\*<\/span><\/label><input type="text" id="field-\$group" name="\$group"[^>]* minlength="1"[^>]* required/);
    const enqueued: unknown[] = [];
    const pgq = { enqueue: async (...args: unknown[]) => enqueued.push(args) && 7 } as unknown as PgQueuer;
    const refused = await forms.enqueue('report', new URLSearchParams({ tenant: 'acme' }), pgq);
    assert.deepEqual([refused.notice, refused.refused?.form.get('tenant')], ['refused, nothing enqueued: group: required', 'acme']);
    const ok = await forms.enqueue('report', new URLSearchParams({ tenant: 'acme', $group: 'acme' }), pgq);
    assert.equal(ok.notice, 'report enqueued as job 7');
    assert.deepEqual(enqueued, [['report', { tenant: 'acme' }, { group: 'acme' }]]);
  });

  test('a job without a payload schema (a schedule) has no form', () => {
    assert.deepEqual(forms.jobs(), ['report', 'signup']);
    assert.equal(forms.render('nightly', '/x', 't'), null);
  });

  test('the form carries the constraints the browser checks', () => {
    const markup = forms.render('signup', '/enqueue/signup', 'tok')!.text;
    assert.match(markup, /<input type="email" id="field-email" name="email"[^>]* required/);
    assert.match(markup, /<input type="number" id="field-age" name="age" step="1"\s+ min="18" required/);
    assert.match(markup, /<select id="field-plan" name="plan">/);
    assert.match(markup, /<textarea id="field-tags" name="tags" rows="3" data-json/);
    assert.match(markup, /name="_csrf" value="tok"/);
  });

  test('the server parses the form back and checks it against the schema', () => {
    const ok = forms.parse('signup', new URLSearchParams({ email: 'a@b.co', age: '30', plan: 'pro', vip: 'true', tags: '["x"]' }))!;
    assert.deepEqual(ok, { payload: { email: 'a@b.co', age: 30, plan: 'pro', vip: true, tags: ['x'] }, issues: [] });
    const bad = forms.parse('signup', new URLSearchParams({ email: 'nope', age: '12.5', plan: 'gold', tags: '["x","y","z"]' }))!;
    assert.deepEqual(bad.issues.map((i) => `${i.path}: ${i.message}`), [
      'email: not an email address',
      'age: expected integer, got number',
      'plan: must be one of "free", "pro"',
      'tags: at most 2 items',
    ]);
    assert.deepEqual(forms.parse('signup', new URLSearchParams({ tags: '[oops' }))!.issues.map((i) => i.path), ['tags', 'email', 'age']);
  });

  test('schema checks: required, unknown fields, anyOf, nested paths', () => {
    assert.deepEqual(checkSchema({ type: 'object', properties: { a: { type: 'object', properties: { b: { type: 'number', exclusiveMinimum: 0 } } } } }, { a: { b: 0 } }), [
      { path: 'a.b', message: 'more than 0' },
    ]);
    assert.deepEqual(checkSchema({ type: 'object', additionalProperties: false, properties: {} }, { x: 1 }), [{ path: 'x', message: 'not a known field' }]);
    assert.deepEqual(checkSchema({ anyOf: [{ type: 'string' }, { type: 'null' }] }, null), []);
    assert.deepEqual(checkSchema({ anyOf: [{ type: 'string' }, { type: 'null' }] }, 1), [{ path: '(payload)', message: 'matches none of the allowed shapes' }]);
  });
});
