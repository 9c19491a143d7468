/**
 * Preloaded into a lethe child by the bench (`node --import …/maxrss.js bin/lethe …`): on
 * exit, writes the process's peak resident set size (getrusage ru_maxrss, bytes) and its CPU
 * time (user + system, ms) to the file named by BENCH_MAXRSS_FILE, as JSON. ru_maxrss is the kernel's own high-water mark, so no sample
 * can miss a short peak.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_MAXRSS_FILE;
if (file) {
  process.on('exit', () => {
    try {
      const u = process.resourceUsage();
      writeFileSync(file, JSON.stringify({ maxRss: u.maxRSS * 1024, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000 }));
    } catch {
      // The bench reports a missing figure; the run's own exit status is what matters here.
    }
  });
}
