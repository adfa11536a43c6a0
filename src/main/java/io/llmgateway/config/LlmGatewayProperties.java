package io.llmgateway.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import io.llmgateway.pricing.ModelPrice;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Settings of the LLM-aware part of the gateway, under {@code llm-gateway}. Routes themselves stay
 * in {@code spring.cloud.gateway.server.webflux.routes}; a route opts in to decoding with the
 * metadata key {@code llm.provider}.
 */
@Validated
@ConfigurationProperties("llm-gateway")
public class LlmGatewayProperties {

	/**
	 * Whether a streaming request that did not ask for usage gets
	 * {@code stream_options.include_usage=true} added upstream. The usage-only chunk this produces
	 * is removed from what the client receives.
	 */
	private boolean injectStreamUsage = true;

	/**
	 * Largest request body an LLM route reads. A larger body is refused with 413.
	 */
	@NotNull
	private DataSize maxRequestBodySize = DataSize.ofMegabytes(16);

	/**
	 * Largest non-streaming response body that is decoded for usage. A larger body is still
	 * proxied whole; its usage is then unknown and estimated where possible.
	 */
	@NotNull
	private DataSize maxResponseBodySize = DataSize.ofMegabytes(8);

	/**
	 * Largest single SSE event or NDJSON line the stream decoder keeps while it waits for the end
	 * of the frame. A larger frame stops decoding for the rest of the call (the bytes still flow).
	 */
	@NotNull
	private DataSize maxFrameSize = DataSize.ofMegabytes(1);

	/**
	 * Longest silence allowed between two chunks of an upstream response body. Reaching it ends
	 * the call with {@code error_type=timeout}. The time to the response headers is bounded by
	 * {@code spring.cloud.gateway.server.webflux.httpclient.response-timeout}.
	 */
	@NotNull
	private Duration streamIdleTimeout = Duration.ofMinutes(5);

	/**
	 * How many distinct model names each model label keeps before further ones become
	 * {@code other}.
	 */
	@Min(1)
	private int maxModelLabelValues = 200;

	/**
	 * Attribution labels added to every LLM metric, span and access log line.
	 */
	@Valid
	private List<AttributionLabel> attribution = new ArrayList<>();

	/**
	 * Model prices in US dollars per million tokens. Calls of a model without a price are counted
	 * as unpriced; their cost is never guessed.
	 */
	@Valid
	private List<ModelPrice> prices = new ArrayList<>();

	/**
	 * The JSON access log, one line per LLM call on the logger {@code llm_gateway.access}.
	 */
	@Valid
	private final AccessLog accessLog = new AccessLog();

	/**
	 * Whether restoring the observation that is already current on a thread is skipped instead of
	 * opening a nested scope for it. With automatic Reactor context propagation this is most of
	 * the restores on a proxied call; skipping them changes no span, log or metric. Read once at
	 * startup: the accessor it installs is global to the JVM.
	 */
	private boolean reentrantObservationScopes = true;

	public boolean isInjectStreamUsage() {
		return this.injectStreamUsage;
	}

	public void setInjectStreamUsage(boolean injectStreamUsage) {
		this.injectStreamUsage = injectStreamUsage;
	}

	public DataSize getMaxRequestBodySize() {
		return this.maxRequestBodySize;
	}

	public void setMaxRequestBodySize(DataSize maxRequestBodySize) {
		this.maxRequestBodySize = maxRequestBodySize;
	}

	public DataSize getMaxResponseBodySize() {
		return this.maxResponseBodySize;
	}

	public void setMaxResponseBodySize(DataSize maxResponseBodySize) {
		this.maxResponseBodySize = maxResponseBodySize;
	}

	public DataSize getMaxFrameSize() {
		return this.maxFrameSize;
	}

	public void setMaxFrameSize(DataSize maxFrameSize) {
		this.maxFrameSize = maxFrameSize;
	}

	public Duration getStreamIdleTimeout() {
		return this.streamIdleTimeout;
	}

	public void setStreamIdleTimeout(Duration streamIdleTimeout) {
		this.streamIdleTimeout = streamIdleTimeout;
	}

	public int getMaxModelLabelValues() {
		return this.maxModelLabelValues;
	}

	public void setMaxModelLabelValues(int maxModelLabelValues) {
		this.maxModelLabelValues = maxModelLabelValues;
	}

	public List<AttributionLabel> getAttribution() {
		return this.attribution;
	}

	public void setAttribution(List<AttributionLabel> attribution) {
		this.attribution = attribution;
	}

	public List<ModelPrice> getPrices() {
		return this.prices;
	}

	public void setPrices(List<ModelPrice> prices) {
		this.prices = prices;
	}

	public boolean isReentrantObservationScopes() {
		return this.reentrantObservationScopes;
	}

	public void setReentrantObservationScopes(boolean reentrantObservationScopes) {
		this.reentrantObservationScopes = reentrantObservationScopes;
	}

	public AccessLog getAccessLog() {
		return this.accessLog;
	}

	/**
	 * One attribution label: where its value comes from, what it is when absent, and how many
	 * distinct values it may take.
	 */
	public static class AttributionLabel {

		/**
		 * Label name as it appears on metrics, spans and access log lines, e.g. {@code team}.
		 * Names of the gateway's own labels and access-log fields ({@code route},
		 * {@code status}, {@code error_type}, …) are refused at startup.
		 */
		@NotBlank
		@Pattern(regexp = "[a-z][a-z0-9_]*", message = "must be a lower-case Prometheus label name")
		private String name;

		/**
		 * Request header carrying the value, e.g. {@code x-team}.
		 */
		private String header;

		/**
		 * Claim of the bearer JWT carrying the value, e.g. {@code sub}. The token is read, not
		 * verified: verification belongs to whatever authenticates the caller.
		 */
		private String jwtClaim;

		/**
		 * Whether the value is replaced by a short SHA-256 digest, for values such as API keys
		 * that must never be shown.
		 */
		private boolean hashed;

		/**
		 * Value used when no source yields one.
		 */
		@NotBlank
		private String defaultValue = "anonymous";

		/**
		 * Distinct values kept before further ones become {@code other}.
		 */
		@Min(1)
		private int maxValues = 100;

		public String getName() {
			return this.name;
		}

		public void setName(String name) {
			this.name = name;
		}

		public String getHeader() {
			return this.header;
		}

		public void setHeader(String header) {
			this.header = header;
		}

		public String getJwtClaim() {
			return this.jwtClaim;
		}

		public void setJwtClaim(String jwtClaim) {
			this.jwtClaim = jwtClaim;
		}

		public boolean isHashed() {
			return this.hashed;
		}

		public void setHashed(boolean hashed) {
			this.hashed = hashed;
		}

		public String getDefaultValue() {
			return this.defaultValue;
		}

		public void setDefaultValue(String defaultValue) {
			this.defaultValue = defaultValue;
		}

		public int getMaxValues() {
			return this.maxValues;
		}

		public void setMaxValues(int maxValues) {
			this.maxValues = maxValues;
		}

	}

	/**
	 * The JSON access log.
	 */
	public static class AccessLog {

		/**
		 * Whether one JSON line per LLM call is written.
		 */
		private boolean enabled = true;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

	}

}
