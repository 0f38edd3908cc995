/**
 * What `fedkseed simulate` shows while it runs: on a terminal, two progress bars (rounds, and the steps of the
 * client training now) from cli-progress on stderr; elsewhere (CI, a pipe) nothing but the per-round lines that
 * stdout gets either way.
 */
import { MultiBar, Presets, type SingleBar } from 'cli-progress';

import type { RoundRecord, SimulationHooks } from './federation';

export interface ProgressDisplayOptions {
  numRounds: number;
  /** Draw bars (stderr is a terminal and the user did not turn them off). */
  bars: boolean;
  /** Where the per-round lines go. */
  print: (line: string) => void;
}

const formatBytes = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;

export function roundLine(record: RoundRecord, previousLoss: number | undefined): string {
  if (record.round === 0) return `round 0 (start): held-out loss ${record.heldOutLoss.toFixed(4)}`;
  const change =
    previousLoss === undefined
      ? ''
      : ` (${record.heldOutLoss - previousLoss >= 0 ? '+' : ''}${(record.heldOutLoss - previousLoss).toFixed(4)})`;
  return (
    `round ${record.round}: held-out loss ${record.heldOutLoss.toFixed(4)}${change}, ` +
    `clients ${record.participants.join(',')}, ${record.seconds.toFixed(1)} s, ` +
    `${formatBytes(record.bytesPerClientRound)} per client-round on the wire`
  );
}

export class ProgressDisplay {
  private multi: MultiBar | undefined;
  private roundsBar: SingleBar | undefined;
  private stepsBar: SingleBar | undefined;
  private lastLoss: number | undefined;

  constructor(private readonly options: ProgressDisplayOptions) {}

  hooks(): SimulationHooks {
    return {
      onRoundStart: (round, participants) => {
        this.ensureBars();
        this.roundsBar?.update(round - 1, { what: `round ${round}: clients ${participants.join(', ')}` });
      },
      onClientStep: (_round, client, step, numLocalSteps) => {
        this.ensureBars();
        if (this.stepsBar) {
          if (step === 1) this.stepsBar.setTotal(numLocalSteps);
          this.stepsBar.update(step, { what: `client ${client}: ZO steps` });
        }
      },
      onEvaluating: (what, round) => {
        this.ensureBars();
        this.roundsBar?.update(round, {
          what: what === 'loss' ? `round ${round}: held-out loss` : `round ${round}: greedy generations`,
        });
      },
      onRoundEnd: (record) => {
        const line = roundLine(record, this.lastLoss);
        this.lastLoss = record.heldOutLoss;
        // On a terminal the lines go above the bars; redirected, stdout gets them.
        if (this.multi && process.stdout.isTTY) this.multi.log(`${line}\n`);
        else this.options.print(line);
      },
    };
  }

  private ensureBars(): void {
    if (!this.options.bars || this.multi) return;
    this.multi = new MultiBar(
      {
        format: ' {bar} {value}/{total} {what}',
        hideCursor: true,
        clearOnComplete: true,
        stream: process.stderr,
      },
      Presets.shades_classic,
    );
    this.roundsBar = this.multi.create(this.options.numRounds, 0, { what: 'rounds' });
    this.stepsBar = this.multi.create(1, 0, { what: 'steps' });
  }

  stop(): void {
    this.multi?.stop();
    this.multi = undefined;
  }
}
