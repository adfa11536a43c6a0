/**
 * Reactor Netty transport tuning: how the gateway's server and its client towards the providers
 * record their metrics, and how they send a message's head and body.
 */
package io.llmgateway.netty;
