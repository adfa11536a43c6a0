package io.llmgateway.filter;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClientResponse;
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
		HttpClientResponse upstream = exchange.getAttribute(ServerWebExchangeUtils.CLIENT_RESPONSE_ATTR);
		for (String name : fromUpstream) {
			removeUpstreamValues(headers, name, (upstream != null) ? upstream.responseHeaders().getAll(name) : List.of());
		}
		headers.remove(HttpHeaders.CONTENT_ENCODING);
		headers.remove(HttpHeaders.TRANSFER_ENCODING);
		headers.setContentType(MediaType.APPLICATION_JSON);
		headers.setContentLength(bytes.length);
		return response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(bytes)));
	}

	/**
	 * Takes the upstream's values of a header off the response and leaves the gateway's own. The
	 * upstream's were appended after any the gateway had set under the same name (a CORS
	 * {@code Vary: Origin} next to the upstream's {@code Vary: Accept-Encoding}), so they are the
	 * tail of the list. Where the tail is not exactly the upstream's values, a filter changed them
	 * and whose they are cannot be told: the header goes.
	 */
	static void removeUpstreamValues(HttpHeaders headers, String name, List<String> upstreamValues) {
		List<String> values = headers.get(name);
		if (values == null) {
			return;
		}
		int kept = values.size() - upstreamValues.size();
		if (upstreamValues.isEmpty() || kept <= 0
				|| !values.subList(kept, values.size()).equals(upstreamValues)) {
			headers.remove(name);
			return;
		}
		headers.put(name, new ArrayList<>(values.subList(0, kept)));
	}

}
