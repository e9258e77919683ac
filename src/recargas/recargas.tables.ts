// Tables of the recargas feature (migration 002). Filled in with the feature.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface RecargasTables {}
