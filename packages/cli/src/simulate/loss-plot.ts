/** The loss curve of a report as an SVG picture, drawn by Vega-Lite (rendered headless, no browser). */
import { writeFileSync } from 'node:fs';

import * as vega from 'vega';
import * as vegaLite from 'vega-lite';

import type { SimulateReport } from './report';

export async function lossCurveSvg(report: SimulateReport): Promise<string> {
  const values = report.rounds.flatMap((r) => [
    { round: r.round, loss: r.heldOutLoss, series: 'held-out loss (global model)' },
    ...(r.meanLocalLoss !== null && Number.isFinite(r.meanLocalLoss)
      ? [{ round: r.round, loss: r.meanLocalLoss, series: 'mean local loss (clients, during training)' }]
      : []),
  ]);
  const spec: vegaLite.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `fedkseed ${report.seedSampling}: ${report.numClients} clients, ${report.clientsPerRound} per round`,
      subtitle: `K ${report.numCandidateSeeds}, tau ${report.numLocalSteps}, eps ${report.zoEps}, lr ${report.zoLr}, run seed ${report.runSeed}`,
    },
    width: 560,
    height: 320,
    background: 'white',
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'round', type: 'quantitative', title: 'round', axis: { tickMinStep: 1 } },
      y: { field: 'loss', type: 'quantitative', title: 'cross-entropy (nats per token)', scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'top-right' } },
    },
  };
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function writeLossCurve(path: string, report: SimulateReport): Promise<void> {
  writeFileSync(path, await lossCurveSvg(report));
}
