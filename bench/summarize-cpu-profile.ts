import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Summarises a V8 CPU profile (`node --cpu-prof` output): the functions with the most self time
 * and, separately, the most inclusive time (self plus callees). Run directly:
 * `node --import tsx bench/summarize-cpu-profile.ts FILE.cpuprofile [N]`.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

function frameLabel(frame: CallFrame): string {
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  if (frame.url === '') return name;
  const url = frame.url.replace(/^file:\/\/.*?\/(node_modules|dist|src|bench)\//, '$1/').replace(/^node:/, 'node:');
  return `${name}  ${url}:${frame.lineNumber + 1}`;
}

/**
 * The top `count` functions by self and by inclusive time, as a printable table.
 * @param profileText the `.cpuprofile` JSON
 */
export function summariseCpuProfile(profileText: string, count: number): string {
  const profile = JSON.parse(profileText) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) byId.set(node.id, node);
  const totalHits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const msPerHit = totalHits === 0 ? 0 : totalMs / totalHits;

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const label = frameLabel(node.callFrame);
    self.set(label, (self.get(label) ?? 0) + hits);
    // Inclusive: every distinct function on this node's stack gets its hits once.
    const seen = new Set<string>();
    for (let current: number | undefined = node.id; current !== undefined; current = parentOf.get(current)) {
      const ancestor = byId.get(current);
      if (ancestor === undefined) break;
      const ancestorLabel = frameLabel(ancestor.callFrame);
      if (seen.has(ancestorLabel)) continue;
      seen.add(ancestorLabel);
      inclusive.set(ancestorLabel, (inclusive.get(ancestorLabel) ?? 0) + hits);
    }
  }

  const idle = ['(idle)', '(program)', '(garbage collector)', '(root)'];
  const activeHits = totalHits - (self.get('(idle)') ?? 0);
  const format = (entries: Map<string, number>, skipRootish: boolean): string =>
    [...entries.entries()]
      .filter(([label]) => !(skipRootish && idle.includes(label)))
      .sort((left, right) => right[1] - left[1])
      .slice(0, count)
      .map(([label, hits]) => `${(hits * msPerHit).toFixed(0).padStart(8)} ms ${((100 * hits) / Math.max(1, activeHits)).toFixed(1).padStart(5)}%  ${label}`)
      .join('\n');
  return [
    `profile: ${totalMs.toFixed(0)} ms, ${((activeHits * msPerHit) / 1000).toFixed(1)} s not idle (percentages are of non-idle time)`,
    `\nTop ${count} by self time:`,
    format(self, false),
    `\nTop ${count} by inclusive time:`,
    format(inclusive, true),
  ].join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const path = process.argv[2];
  if (path === undefined) {
    console.error('usage: node --import tsx bench/summarize-cpu-profile.ts FILE.cpuprofile [N]');
    process.exit(2);
  }
  console.log(summariseCpuProfile(readFileSync(path, 'utf8'), Number(process.argv[3] ?? 30)));
}
