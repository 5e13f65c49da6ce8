import pg from 'pg';
import type { System } from './systems/system.js';

/** A database made for one measurement, dropped afterwards. */
export interface ScratchDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * Databases on the benchmark server. Every measurement gets a database of its own, created
 * for it and dropped after it, so no run sees another's rows, dead tuples or statistics.
 *
 * Backlogs are seeded once per system family and size into a template database (installed,
 * seeded, VACUUM ANALYZEd: a backlog that has sat in the queue for a while), and every run
 * clones the template with CREATE DATABASE ... TEMPLATE. Seeding a million jobs takes 5-15 s
 * per system; cloning takes about one.
 */
export class Databases {
  private readonly templates = new Map<string, Promise<string>>();
  /** Which system each database was made for, so that what it keeps outside PostgreSQL goes with it. */
  private readonly owners = new Map<string, System>();
  private readonly prefix = `pgqbench_${process.pid}`;
  private serial = 0;

  private constructor(
    private readonly admin: pg.Client,
    private readonly serverUrl: string,
    readonly server: PostgresInfo,
  ) {}

  get serverVersion(): number {
    return this.server.versionNum;
  }

  static async open(serverUrl: string): Promise<Databases> {
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    return new Databases(admin, serverUrl, await describeServer(admin));
  }

  urlOf(database: string): string {
    const url = new URL(this.serverUrl);
    url.pathname = `/${database}`;
    return url.toString();
  }

  /** A fresh database with the system installed and no jobs. */
  empty(system: System, purpose: string): Promise<ScratchDatabase> {
    return this.withBacklog(system, 0, purpose);
  }

  /** A fresh database holding `count` queued no-op jobs of the system. */
  async withBacklog(system: System, count: number, purpose: string): Promise<ScratchDatabase> {
    const template = await this.template(system, count);
    const name = `${this.prefix}_${++this.serial}_${slug(system.id)}_${slug(purpose)}`;
    // FILE_COPY copies the template's files instead of WAL-logging every page: much faster for
    // large templates (PostgreSQL 15 added the choice and made WAL_LOG the default).
    const strategy = this.serverVersion >= 150000 ? ' STRATEGY FILE_COPY' : '';
    await this.admin.query(`CREATE DATABASE ${ident(name)} TEMPLATE ${ident(template)}${strategy}`);
    this.owners.set(name, system);
    await system.store?.clone(this.urlOf(template), this.urlOf(name));
    return { url: this.urlOf(name), drop: () => this.drop(name) };
  }

  /** Builds the template for (system family, count) now, so seeding never falls inside a timed run. */
  async prepare(system: System, count: number): Promise<void> {
    await this.template(system, count);
  }

  /** Flushes dirty pages so the previous measurement's writes are not paid for by the next. */
  async checkpoint(): Promise<void> {
    await this.admin.query('CHECKPOINT').catch(() => {
      // Needs superuser or pg_checkpoint (PostgreSQL 15+); without it the runs are just noisier.
    });
  }

  /** Drops every database this process made, templates included. */
  async close(): Promise<void> {
    const { rows } = await this.admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1`,
      [`${this.prefix}\\_%`],
    );
    for (const { datname } of rows) await this.drop(datname).catch(() => {});
    for (const store of new Set([...this.owners.values()].map((s) => s.store))) await store?.close();
    await this.admin.end();
  }

  private template(system: System, count: number): Promise<string> {
    const key = `${system.family}:${count}`;
    let made = this.templates.get(key);
    if (!made) {
      made = this.makeTemplate(system, count);
      this.templates.set(key, made);
    }
    return made;
  }

  private async makeTemplate(system: System, count: number): Promise<string> {
    const name = `${this.prefix}_tpl_${slug(system.family)}_${count}`;
    await this.admin.query(`CREATE DATABASE ${ident(name)}`);
    this.owners.set(name, system);
    const url = this.urlOf(name);
    await system.install(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      if (count > 0) await system.seed(client, count, url);
      await client.query('VACUUM ANALYZE');
    } finally {
      await client.end();
    }
    return name;
  }

  private async drop(name: string): Promise<void> {
    const force = this.serverVersion >= 130000 ? ' WITH (FORCE)' : '';
    await this.admin.query(`DROP DATABASE IF EXISTS ${ident(name)}${force}`);
    const store = this.owners.get(name)?.store;
    this.owners.delete(name);
    await store?.drop(this.urlOf(name));
  }
}

/** The server's version and the settings that decide what a commit costs. */
export interface PostgresInfo {
  version: string;
  versionNum: number;
  settings: Record<(typeof SETTINGS)[number], string>;
}

const SETTINGS = ['fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'wal_level', 'max_wal_size'] as const;

async function describeServer(client: pg.Client): Promise<PostgresInfo> {
  const { rows } = await client.query<{ name: string; value: string }>(
    `SELECT name, current_setting(name) AS value FROM unnest($1::text[]) AS name`,
    [['server_version', 'server_version_num', ...SETTINGS]],
  );
  const value = Object.fromEntries(rows.map((r) => [r.name, r.value]));
  return {
    version: value.server_version!,
    versionNum: Number(value.server_version_num),
    settings: Object.fromEntries(SETTINGS.map((name) => [name, value[name]!])) as PostgresInfo['settings'],
  };
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
