import type { z, ZodObject } from 'zod';
import type { JobDefinition } from './define-jobs.js';
import { payloadFingerprint } from './json-schema.js';

/**
 * An earlier shape of a job's payload, still to be read from jobs enqueued before it changed,
 * and how to turn it into the next shape: `previous` lists them oldest first, and each
 * `upcast` returns the input of the entry after it (the last one's: the current `payload`).
 */
export interface PayloadVersion {
  payload: ZodObject;
  /** Typed per job by `defineJobs`: `old` is this version's parsed payload. */
  upcast: (old: never) => unknown;
}

// ---- Types: how defineJobs types `old` and each upcaster's return, per job and per version.
//
// The payload schemas are inferred apart from the job definitions (type parameters P and V of
// defineJobs, by mapping over the object literal): an upcaster's contextual type then names
// only them, so TypeScript types `old` without first fixing the definitions' own parameter,
// which would still be waiting for the very upcasters it is asked to type.

type Output<S> = S extends z.ZodType ? z.output<S> : never;
type Input<S> = S extends z.ZodType ? z.input<S> : never;
/** The schema each version upcasts to: the entry after it, and the current payload after the last. */
type Successors<S extends readonly unknown[], Current> = S extends readonly [unknown, ...infer Rest] ? [...Rest, Current] : [Current];
type Successor<S, I, Current> = S extends readonly unknown[] ? Successors<S, Current>[I & keyof Successors<S, Current>] : never;

/** `previous` of one job: version I's upcaster takes its parsed payload, returns version I+1's input. */
export type UpcastChain<S, Current> = {
  [I in keyof S]: { payload: S[I]; upcast: (old: Output<S[I]>) => Input<Successor<S, I, Current>> };
};

/**
 * Leaves a job's other keys to the definitions' own type. Without it, TypeScript checks a job
 * with neither `payload` nor `previous` (a scheduled one) for excess keys against these types
 * alone, before it has inferred the definitions, and refuses `schedule`.
 */
type OtherKeys = { readonly [key: string]: unknown };

/** Where defineJobs infers each job's current payload schema from (and types `group`'s argument). */
export type CurrentPayloads<P> = { [Name in keyof P]: { payload?: P[Name]; group?: (payload: Input<P[Name]>) => string } & OtherKeys };

/** Where defineJobs infers each job's earlier payload schemas from, and types their upcasters. */
export type PreviousPayloads<P, V> = { [Name in keyof V]: { previous?: UpcastChain<V[Name], P[Name & keyof P]> } & OtherKeys };

// ---- Runtime: reading a stored payload of any known version as the current shape.

/** One earlier version as the worker knows it. */
export interface KnownVersion {
  /** Its place in `previous` (0: the oldest). */
  index: number;
  fingerprint: string;
  schema: ZodObject;
}

const known = new WeakMap<JobDefinition, KnownVersion[]>();

/** A job's earlier versions, oldest first, with the fingerprints their producers stamped. */
export function previousVersions(definition: JobDefinition): KnownVersion[] {
  let versions = known.get(definition);
  if (versions === undefined) {
    versions = (definition.previous ?? []).map((version, index) => ({ index, fingerprint: payloadFingerprint(version.payload), schema: version.payload }));
    known.set(definition, versions);
  }
  return versions;
}

/**
 * Upcasts a payload of version `from` (already parsed with that version's schema) through
 * every later version to the current one's input. Each intermediate version's schema parses
 * what the upcaster before it returned, so its defaults and transforms apply before the next
 * upcaster sees it, as they would have for a job written at that version.
 */
export function upcastFrom(definition: JobDefinition, from: number, parsed: unknown, parse: (schema: ZodObject, value: unknown, version: number) => unknown): unknown {
  const previous = definition.previous ?? [];
  let value = parsed;
  for (let i = from; i < previous.length; i++) {
    const next = (previous[i]!.upcast as (old: unknown) => unknown)(value);
    value = i + 1 < previous.length ? parse(previous[i + 1]!.payload, next, i + 1) : next;
  }
  return value;
}
