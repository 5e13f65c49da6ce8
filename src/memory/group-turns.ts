import { GROUP_HEADER } from '../port/rows.js';
import type { JobHeaders } from '../types.js';

/** What turn taking needs of a job. */
export interface GroupedJob {
  id: number;
  priority: number;
  group: string;
  /** Its place in the turn order (jobs.group_turn); null without a group. */
  turn: number | null;
}

/** A job's group from its headers (JSON text): '' for none, as the SQL's group key. */
export function groupOfHeaders(headers: string): string {
  const value = (JSON.parse(headers) as JobHeaders)[GROUP_HEADER];
  return value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
}

const byPriorityThenId = (a: GroupedJob, b: GroupedJob): number => b.priority - a.priority || a.id - b.id;
const byTurn = (a: GroupedJob, b: GroupedJob): number => a.turn! - b.turn! || byPriorityThenId(a, b);

/**
 * The queued grouped jobs of one entrypoint, each group in its line (priority, then id), to
 * give jobs their turns as assign_group_turn does (statements/group-turn.ts says why):
 * behind the group's last job but not before `claimedTurn`; ahead of the group's jobs of
 * lower priority at the first one's turn; a group with nothing queued at the lowest turn
 * queued, or else `claimedTurn`.
 */
export class GroupLines {
  private readonly lines = new Map<string, GroupedJob[]>();
  private lowest: number | null = null;

  constructor(
    queued: Iterable<GroupedJob>,
    private readonly claimedTurn: number,
  ) {
    for (const job of queued) {
      if (job.turn === null) continue;
      this.lineOf(job.group).push(job);
      this.lowest = Math.min(this.lowest ?? job.turn, job.turn);
    }
    for (const line of this.lines.values()) line.sort(byPriorityThenId);
  }

  /** The turn `job` (queued or not) takes; a queued one joins its line. */
  turnOf(job: GroupedJob, queued: boolean): number {
    const line = this.lineOf(job.group);
    const last = line.at(-1);
    // Sorted by priority: only a job of higher priority than the last can go ahead of any.
    const ahead = last !== undefined && last.priority < job.priority ? line.findIndex((j) => j.priority < job.priority) : -1;
    const turn = ahead >= 0 ? line[ahead]!.turn! : last !== undefined ? Math.max(last.turn! + 1, this.claimedTurn) : (this.lowest ?? this.claimedTurn);
    if (queued) {
      if (ahead >= 0) line.splice(ahead, 0, job);
      else line.push(job);
      this.lowest = Math.min(this.lowest ?? turn, turn);
    }
    return turn;
  }

  private lineOf(group: string): GroupedJob[] {
    let line = this.lines.get(group);
    if (!line) this.lines.set(group, (line = []));
    return line;
  }
}

/**
 * The grouped half of a claim, as claim_jobs does it: queued grouped jobs in turn order, each
 * group giving what its limit leaves (`perGroup` minus its running jobs; no limit when 0),
 * until `cap` jobs are taken. Returns them in walk order.
 */
export function takeGroupTurns<J extends GroupedJob>(queued: readonly J[], running: ReadonlyMap<string, number>, perGroup: number, cap: number): J[] {
  const taken: J[] = [];
  const takenOf = new Map<string, number>();
  for (const job of [...queued].sort(byTurn)) {
    if (taken.length >= cap) break;
    const count = takenOf.get(job.group) ?? 0;
    if (perGroup > 0 && count + (running.get(job.group) ?? 0) >= perGroup) continue;
    takenOf.set(job.group, count + 1);
    taken.push(job);
  }
  return taken;
}
