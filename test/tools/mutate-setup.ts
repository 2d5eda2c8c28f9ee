// Loaded only by npm run mutate (test/mutate.mocharc.json). The filter's regex match has a 50 ms
// wall-clock budget (src/discovery/filter/regex.ts); on this shared 2-core machine, niced, the
// first match (vm script and its watchdog thread started) has overrun it and failed a filter test
// in Stryker's initial run. One match before the tests starts them.
import { boundedRegexTest } from '../../src/discovery/filter/regex.js'

boundedRegexTest('^warm', 'warm-up')
