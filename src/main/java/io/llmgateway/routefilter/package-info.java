/**
 * Spring Cloud Gateway route filters redone so that they no longer copy every request header:
 * {@code ServerHttpRequest.mutate()} does, even to change only the path.
 */
package io.llmgateway.routefilter;
