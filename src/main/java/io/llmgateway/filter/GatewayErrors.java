package io.llmgateway.filter;

import java.nio.charset.StandardCharsets;
import java.util.Set;

import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;

/**
 * What a client gets when the gateway, not the upstream, ends a call: one JSON error in the shape
 * OpenAI-style clients already parse ({@code {"error":{"message","type","code"}}}), plus the route.
 */
final class GatewayErrors {

	private GatewayErrors() {
	}

	/**
	 * Answers a failure that happened before the upstream answered: 504 for a timeout, 502
	 * otherwise, with the {@code error_type} as code. A response already under way is left to
	 * end with the error.
	 */
	static Mono<Void> upstreamFailed(Throwable error, String errorType, ServerWebExchange exchange, String routeId,
			JsonMapper json) {
		if (exchange.getResponse().isCommitted()) {
			return Mono.error(error);
		}
		HttpStatus status = Failures.statusFor(errorType);
		String message = (status == HttpStatus.GATEWAY_TIMEOUT) ? "The upstream did not answer in time"
				: "The upstream could not be reached or closed the connection";
		return write(exchange, status, errorType, message, routeId, json);
	}

	/**
	 * Replaces the body and the upstream's headers with one JSON error. Headers the gateway set
	 * itself (CORS, security, tracing) stay: a browser that loses the CORS headers reports a CORS
	 * failure instead of the error.
	 */
	static Mono<Void> write(ServerWebExchange exchange, HttpStatus status, String code, String message,
			String routeId, JsonMapper json) {
		ServerHttpResponse response = exchange.getResponse();
		ObjectNode error = json.createObjectNode();
		ObjectNode detail = error.putObject("error");
		detail.put("message", message);
		detail.put("type", "gateway_error");
		detail.put("code", code);
		detail.put("route", routeId);
		byte[] bytes = json.writeValueAsString(error).getBytes(StandardCharsets.UTF_8);
		response.setStatusCode(status);
		HttpHeaders headers = response.getHeaders();
		Set<String> fromUpstream = exchange.getAttributeOrDefault(ServerWebExchangeUtils.CLIENT_RESPONSE_HEADER_NAMES,
				Set.of());
		fromUpstream.forEach(headers::remove);
		headers.remove(HttpHeaders.CONTENT_ENCODING);
		headers.remove(HttpHeaders.TRANSFER_ENCODING);
		headers.setContentType(MediaType.APPLICATION_JSON);
		headers.setContentLength(bytes.length);
		return response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(bytes)));
	}

}
