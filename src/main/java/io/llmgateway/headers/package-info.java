/**
 * The hop-by-hop and forwarding headers Spring Cloud Gateway strips from the requests it proxies,
 * stripped in one pass instead of one copy of all headers per rule.
 */
package io.llmgateway.headers;
