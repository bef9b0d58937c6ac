// The shipped dashboard, typed by Grafana's published dashboard schema (@grafana/schema,
// generated from the schema Grafana validates against): `tsc` refuses a field of the
// wrong type or shape. A JSON import types "timeseries" as string, not as the literal,
// so the schema's literal unions are widened to their base types first.
import type { Dashboard } from "@grafana/schema";
import dashboard from "../../charts/tollgate/files/grafana-dashboard.json" with { type: "json" };

type Widen<T> = T extends string
  ? string
  : T extends number
    ? number
    : T extends boolean
      ? boolean
      : T extends readonly (infer E)[]
        ? Widen<E>[]
        : T extends object
          ? { [K in keyof T]: Widen<T[K]> }
          : T;

export const typedDashboard: Widen<Dashboard> = dashboard;
