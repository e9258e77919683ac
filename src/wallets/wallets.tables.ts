// Tables of the wallets feature (migration 003). Filled in with the feature.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface WalletTables {}
