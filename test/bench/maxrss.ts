/**
 * Preloaded into a lethe child by the bench (`node --import …/maxrss.js bin/lethe …`): on
 * exit, writes the process's peak resident set size (getrusage ru_maxrss, bytes) to the file
 * named by BENCH_MAXRSS_FILE. ru_maxrss is the kernel's own high-water mark, so no sample
 * can miss a short peak.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_MAXRSS_FILE;
if (file) {
  process.on('exit', () => {
    try {
      writeFileSync(file, String(process.resourceUsage().maxRSS * 1024));
    } catch {
      // The bench reports a missing figure; the run's own exit status is what matters here.
    }
  });
}
