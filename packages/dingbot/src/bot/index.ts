/**
 * The bot framework: middleware, context, and the HTTP and Stream transports.
 * @module
 */
export {};
