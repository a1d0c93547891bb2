// The agent with its Kafka sink on @platformatic/kafka (bench/lib/platformatic-sink.ts) instead of
// kafkajs, each row the twin of a kafkajs row of logshipper.ts: same source, sizes and node flags.
import type { Contender } from '../lib/contender.ts';
import { agentEntrypoint, imageNodeFlags } from '../lib/agent.ts';
import { platformaticImportFlag, platformaticVersion } from '../lib/platformatic.ts';
import { OPERATOR_DEFAULTS, runExec, taildir, taildirLaunch } from './logshipper.ts';

function prepare(): Promise<string> {
  agentEntrypoint();
  platformaticImportFlag();
  return Promise.resolve(`Node ${process.version}, @platformatic/kafka ${platformaticVersion()}`);
}

export const platformaticTaildir = taildir(
  'platformatic-taildir', 'logshipper on @platformatic/kafka: TAILDIR -> memory channel -> Kafka sink',
  (t) => taildirLaunch(t, {}, [platformaticImportFlag()]), prepare,
);

export const platformaticTaildirAcksAll = taildir(
  'platformatic-taildir-acks-all', 'logshipper on @platformatic/kafka: TAILDIR, acks=-1',
  (t) => taildirLaunch({ ...t, acks: '-1' }, {}, [platformaticImportFlag()]), prepare,
);

export const platformaticExecDefaultsSmall: Contender = {
  name: 'platformatic-exec-defaults-small',
  describe: `logshipper on @platformatic/kafka: exec \`cat\`, operator defaults, node ${imageNodeFlags().join(' ')}`,
  prepare,
  run: (c) => runExec(c, OPERATOR_DEFAULTS, [...imageNodeFlags(), platformaticImportFlag()]),
};
