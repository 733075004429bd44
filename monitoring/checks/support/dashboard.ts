import { readFileSync } from 'node:fs';
import { DASHBOARDS_DIR, files } from './repo.js';

export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; datasource?: { type: string; uid: string } }[];
  panels?: Panel[];
}
export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
}

export const dashboards = (): { file: string; dashboard: Dashboard }[] =>
  files(DASHBOARDS_DIR, '.json').map((file) => ({
    file,
    dashboard: JSON.parse(readFileSync(file, 'utf8')) as Dashboard,
  }));

/** Every panel, rows' nested ones included. */
export const panelsOf = (d: Dashboard): Panel[] => d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);

export const dashboardTargets = (): { panel: string; refId: string; expr: string; uid?: string }[] =>
  dashboards().flatMap(({ dashboard }) =>
    panelsOf(dashboard).flatMap((p) =>
      (p.targets ?? []).map((t) => ({
        panel: p.title,
        refId: t.refId,
        expr: t.expr,
        uid: t.datasource?.uid ?? p.datasource?.uid,
      })),
    ),
  );
