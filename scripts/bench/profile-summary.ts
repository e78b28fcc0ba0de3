// Summarizes V8 .cpuprofile files (from BENCH_PROFILE_DIR) by self time per package or file.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function bucket(url: string, fn: string): string {
  if (!url) return fn === '(garbage collector)' ? '(garbage collector)' : fn || '(native)';
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return url;
  const own = /dist\/(.+)$/.exec(url);
  return own ? own[1] : url;
}

export function summarize(dir: string, top = 12): string {
  const out: string[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const totals = new Map<string, number>();
    let all = 0;
    profile.samples.forEach((id, i) => {
      const node = byId.get(id);
      if (!node) return;
      const key = bucket(node.callFrame.url, node.callFrame.functionName);
      const dt = profile.timeDeltas[i] ?? 0;
      totals.set(key, (totals.get(key) ?? 0) + dt);
      all += dt;
    });
    const busy = all - (totals.get('(idle)') ?? 0);
    out.push(
      `${file.replace(/-\d+\.cpuprofile$/, '')}: ${(busy / 1e6).toFixed(1)} s busy of ${(all / 1e6).toFixed(1)} s`,
    );
    [...totals.entries()]
      .filter(([k]) => k !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .forEach(([k, v]) => out.push(`  ${((v / busy) * 100).toFixed(1).padStart(5)} %  ${k}`));
  }
  return out.join('\n');
}

if (require.main === module) process.stdout.write(`${summarize(process.argv[2] ?? '.')}\n`);
