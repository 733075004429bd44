export const APP_NAME = Symbol('APP_NAME');
/** The port the app serves /metrics on when its main port is public (MetricsAdminServer). */
export const METRICS_ADMIN_PORT = Symbol('METRICS_ADMIN_PORT');
