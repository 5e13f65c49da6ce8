import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import type { JobInfo } from '../../codegen/load-schema.js';
import { payloadChanges, uncovered } from '../../codegen/payload-gate.js';
import { defineJobs } from '../../src/schema/define-jobs.js';
import { fingerprint, payloadFingerprint, payloadJsonSchema } from '../../src/schema/json-schema.js';

const v1 = z.object({ to: z.string() });
const manifest = { mail: { fingerprint: payloadFingerprint(v1), payload: payloadJsonSchema(v1) }, sms: { fingerprint: 'x', payload: payloadJsonSchema(v1) } };

function info(name: string, def: ReturnType<typeof defineJobs>['jobs'][string]): JobInfo {
  return {
    name,
    definition: def,
    fingerprint: fingerprint(def),
    payloadSchema: payloadJsonSchema(def.payload!),
    resultSchema: null,
    previous: (def.previous ?? []).map((v) => ({ fingerprint: payloadFingerprint(v.payload), payload: payloadJsonSchema(v.payload) })),
  };
}

test('a breaking change is uncovered until the old shape is in previous', () => {
  const bare = defineJobs({ mail: { payload: z.object({ to: z.string(), locale: z.string() }) } });
  const changes = payloadChanges(manifest, [info('mail', bare.jobs.mail)]);
  assert.equal(changes.length, 1);
  assert.equal(changes[0]!.upcastFrom, undefined);
  assert.deepEqual(uncovered(changes).map((c) => [c.job, c.path, c.compatibility]), [['mail', 'locale', 'breaking']]);

  const upcast = defineJobs({ mail: { payload: z.object({ to: z.string(), locale: z.string() }), previous: [{ payload: v1, upcast: (old) => ({ ...old, locale: 'en' }) }] } });
  const covered = payloadChanges(manifest, [info('mail', upcast.jobs.mail)]);
  assert.equal(covered[0]!.upcastFrom, 0);
  assert.deepEqual(uncovered(covered), []);
});

test('an unchanged fingerprint, or a job new to the manifest, has nothing to report', () => {
  const same = defineJobs({ mail: { payload: v1 }, brandNew: { payload: z.object({ a: z.string() }) } });
  assert.deepEqual(payloadChanges(manifest, [info('mail', same.jobs.mail), info('brandNew', same.jobs.brandNew)]), []);
});
