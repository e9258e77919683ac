/**
 * Statements that start with the marker are sent as named prepared
 * statements: each connection parses and plans them once, then reuses the
 * plan. The hot money statements are large CTEs whose planning cost more
 * than their execution. Only marked statements are prepared, so the number
 * kept per connection stays small and fixed.
 */
export const PREPARE = '/*prepare*/';
