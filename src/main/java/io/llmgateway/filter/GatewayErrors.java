package io.llmgateway.filter;

import java.nio.charset.StandardCharsets;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;

/**
 * What a client gets when the gateway, not the upstream, ends a call: one JSON error in the shape
 * OpenAI-style clients already parse ({@code {"error":{"message","type","code"}}}), plus the route.
 * And the one case where a failed call is sent again.
 */
final class GatewayErrors {

	private static final Log logger = LogFactory.getLog(GatewayErrors.class);

	private GatewayErrors() {
	}

	/**
	 * Answers a failure that happened before the upstream answered: 504 for a timeout, 502
	 * otherwise, with the {@code error_type} as code. A response already under way is left to
	 * end with the error.
	 */
	static Mono<Void> upstreamFailed(Throwable error, String errorType, ServerHttpResponse response, String routeId,
			JsonMapper json) {
		if (response.isCommitted()) {
			return Mono.error(error);
		}
		HttpStatus status = Failures.statusFor(errorType);
		String message = (status == HttpStatus.GATEWAY_TIMEOUT) ? "The upstream did not answer in time"
				: "The upstream could not be reached or closed the connection";
		return write(response, status, errorType, message, routeId, json);
	}

	/** Replaces whatever the response holds with one JSON error. */
	static Mono<Void> write(ServerHttpResponse response, HttpStatus status, String code, String message,
			String routeId, JsonMapper json) {
		ObjectNode error = json.createObjectNode();
		ObjectNode detail = error.putObject("error");
		detail.put("message", message);
		detail.put("type", "gateway_error");
		detail.put("code", code);
		detail.put("route", routeId);
		byte[] bytes = json.writeValueAsString(error).getBytes(StandardCharsets.UTF_8);
		response.setStatusCode(status);
		HttpHeaders headers = response.getHeaders();
		headers.clear();
		headers.setContentType(MediaType.APPLICATION_JSON);
		headers.setContentLength(bytes.length);
		return response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(bytes)));
	}

	/**
	 * Sends the request once more through the rest of the chain when the caller found that safe
	 * for this failure, the upstream has not answered, and nothing has gone to the client yet;
	 * the caller makes sure {@code exchange} can give its body a second time.
	 */
	static Mono<Void> resendOnce(boolean safe, Throwable error, ServerWebExchange exchange, GatewayFilterChain chain,
			ServerHttpResponse clientResponse, String routeId) {
		// An upstream answer means the failure was on the client's side of the gateway.
		boolean upstreamAnswered = exchange.getAttribute(ServerWebExchangeUtils.CLIENT_RESPONSE_CONN_ATTR) != null;
		if (!safe || upstreamAnswered || clientResponse.isCommitted()) {
			return Mono.error(error);
		}
		if (logger.isDebugEnabled()) {
			logger.debug("Upstream connection of route '" + routeId
					+ "' closed before it answered; sending the request again", error);
		}
		return Mono.defer(() -> {
			ServerWebExchangeUtils.reset(exchange);
			return chain.filter(exchange);
		});
	}

}
