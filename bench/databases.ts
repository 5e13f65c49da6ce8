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
  private readonly prefix = `pgqbench_${process.pid}`;
  private serial = 0;

  private constructor(
    private readonly admin: pg.Client,
    private readonly serverUrl: string,
    readonly serverVersion: number,
  ) {}

  static async open(serverUrl: string): Promise<Databases> {
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    const { rows } = await admin.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`);
    return new Databases(admin, serverUrl, Number(rows[0]!.v));
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
    const url = this.urlOf(name);
    await system.install(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      if (count > 0) await system.seed(client, count);
      await client.query('VACUUM ANALYZE');
    } finally {
      await client.end();
    }
    return name;
  }

  private async drop(name: string): Promise<void> {
    const force = this.serverVersion >= 130000 ? ' WITH (FORCE)' : '';
    await this.admin.query(`DROP DATABASE IF EXISTS ${ident(name)}${force}`);
  }
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
