/**
 * After vitest's own summary: the slowest test files (what a run's wall time is made of; files
 * run side by side, so the longest one bounds it), then one plain closing line,
 * `N passed, N failed, N skipped`.
 */
import type { Reporter, TestModule } from 'vitest/node';

const SLOWEST = 10;

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const count = { passed: 0, failed: 0, skipped: 0, pending: 0 };
    for (const m of modules) for (const t of m.children.allTests()) count[t.result().state]++;
    const timed = modules.map((m) => ({ file: `${m.project.name} ${m.relativeModuleId}`, ms: fileMs(m) })).sort((a, b) => b.ms - a.ms);
    if (timed.length > 1) {
      console.log(`slowest test files (of ${timed.length}; setup, collection, hooks and tests):`);
      for (const t of timed.slice(0, SLOWEST)) console.log(`  ${(t.ms / 1000).toFixed(1).padStart(6)} s  ${t.file}`);
    }
    console.log(`${count.passed} passed, ${count.failed} failed, ${count.skipped + count.pending} skipped`);
  }
}

function fileMs(m: TestModule): number {
  const d = m.diagnostic();
  return d.environmentSetupDuration + d.prepareDuration + d.collectDuration + d.setupDuration + d.duration;
}
