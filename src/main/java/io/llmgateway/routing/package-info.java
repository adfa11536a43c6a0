/**
 * The routing filter that sends a call to its upstream: Spring Cloud Gateway's own, with its
 * response timeout timed on the upstream connection instead of by a Reactor operator.
 */
package io.llmgateway.routing;
