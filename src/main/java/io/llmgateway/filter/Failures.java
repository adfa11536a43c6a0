package io.llmgateway.filter;

import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeoutException;

import javax.net.ssl.SSLException;

import io.netty.handler.timeout.ReadTimeoutException;
import io.netty.handler.timeout.WriteTimeoutException;
import reactor.netty.channel.AbortedException;
import reactor.netty.http.client.PrematureCloseException;

import org.springframework.http.HttpStatus;
import org.springframework.web.server.ResponseStatusException;

/**
 * Names transport failures with the {@code error_type} values of the telemetry contract.
 */
final class Failures {

	static final String TIMEOUT = "timeout";

	static final String UPSTREAM_RESET = "upstream_reset";

	static final String CLIENT_CANCELLED = "client_cancelled";

	static final String OTHER = "_OTHER";

	private Failures() {
	}

	static String errorType(Throwable error) {
		for (Throwable t = error; t != null; t = (t.getCause() == t) ? null : t.getCause()) {
			if (t instanceof UpstreamBrokeOff brokeOff) {
				return brokeOff.errorType();
			}
			if (t instanceof TimeoutException || t instanceof ReadTimeoutException
					|| t instanceof WriteTimeoutException
					|| t instanceof org.springframework.cloud.gateway.support.TimeoutException) {
				return TIMEOUT;
			}
			if (t instanceof ResponseStatusException status
					&& status.getStatusCode().value() == HttpStatus.GATEWAY_TIMEOUT.value()) {
				return TIMEOUT;
			}
			if (t instanceof PrematureCloseException || t instanceof ClosedChannelException) {
				return UPSTREAM_RESET;
			}
			if (t instanceof ConnectException || t instanceof UnknownHostException) {
				return OTHER;
			}
			if (t instanceof IOException io && io.getMessage() != null
					&& io.getMessage().toLowerCase(java.util.Locale.ROOT).contains("reset")) {
				return UPSTREAM_RESET;
			}
		}
		return OTHER;
	}

	/**
	 * The error a client's response ends with when the upstream failed after the response began.
	 * Spring WebFlux takes an error whose message says "Connection reset by peer" or "Broken
	 * pipe" for the client having left and then ends the response as if all was well: a client
	 * would get a truncated stream that looks complete. So such an upstream error goes on
	 * without that message (and without that cause), and the connection to the client is
	 * broken off as it should be.
	 */
	static Throwable forClient(Throwable error) {
		if (error instanceof UpstreamBrokeOff) {
			return error;
		}
		UpstreamBrokeOff brokeOff = new UpstreamBrokeOff(errorType(error));
		brokeOff.addSuppressed(error);
		return brokeOff;
	}

	/** An upstream failure in the middle of a response. */
	static final class UpstreamBrokeOff extends RuntimeException {

		private final String errorType;

		UpstreamBrokeOff(String errorType) {
			super("The upstream response broke off (" + errorType + ")");
			this.errorType = errorType;
		}

		String errorType() {
			return this.errorType;
		}

	}

	/**
	 * Whether the failure proves the upstream never got the whole request: Reactor Netty found
	 * the pooled connection closed before it wrote anything ("... BEFORE send operation"), or saw
	 * it close while it was still sending the request ("... BEFORE response, while sending
	 * request body"). An upstream cannot act on a request it has not fully received, so sending
	 * it again cannot make a second call.
	 */
	static boolean requestNotSent(Throwable error) {
		for (Throwable t = error; t != null; t = (t.getCause() == t) ? null : t.getCause()) {
			String message = t.getMessage();
			if (message == null) {
				continue;
			}
			if (t instanceof PrematureCloseException && message.contains("BEFORE response, while sending request")) {
				return true;
			}
			if (t instanceof AbortedException && message.contains("BEFORE send operation")) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Whether the upstream connection failed: not reachable, reset or closed, or silent past a
	 * timeout. Anything else (a bug, a refused route) is not the upstream's and is left to
	 * Spring's error handling.
	 */
	static boolean isUpstreamFailure(Throwable error) {
		if (!OTHER.equals(errorType(error))) {
			return true;
		}
		for (Throwable t = error; t != null; t = (t.getCause() == t) ? null : t.getCause()) {
			if (t instanceof ConnectException || t instanceof UnknownHostException || t instanceof SSLException) {
				return true;
			}
		}
		// Reactor Netty also aborts when the client leaves; only the upstream's "before send" is ours.
		return requestNotSent(error);
	}

	/** The status a client gets for a failure that happened before any response. */
	static HttpStatus statusFor(String errorType) {
		return TIMEOUT.equals(errorType) ? HttpStatus.GATEWAY_TIMEOUT : HttpStatus.BAD_GATEWAY;
	}

}
