/**
 * Reactor Netty transport tuning: how the gateway's server and its client towards the providers
 * record their metrics.
 */
package io.llmgateway.netty;
