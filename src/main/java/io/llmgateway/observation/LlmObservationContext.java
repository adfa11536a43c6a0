package io.llmgateway.observation;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import io.micrometer.observation.transport.Kind;
import io.micrometer.observation.transport.SenderContext;

import io.llmgateway.pricing.Cost;
import io.llmgateway.provider.LlmRequest;
import io.llmgateway.provider.LlmResponse;
import io.llmgateway.provider.Operation;
import io.llmgateway.usage.TokenUsage;
import io.llmgateway.usage.UsageSource;

/**
 * Everything known about one LLM call; the only thing that crosses from the filters and
 * adapters to telemetry. The carrier holds the trace headers to send upstream, so the provider
 * sees the gateway's CLIENT span as its parent.
 */
public class LlmObservationContext extends SenderContext<Map<String, String>> {

	private final String route;

	private final String providerName;

	private final LlmRequest request;

	private final LlmResponse response;

	private final Map<String, String> attribution;

	private final long startNanos;

	private final boolean usageInjected;

	private long endNanos;

	private int status;

	private String failure;

	private boolean streamOpened;

	private TokenUsage usage;

	private UsageSource usageSource;

	private boolean outputTokensKnown;

	private Cost cost;

	private String method;

	private String path;

	private String userAgent;

	private String upstream;

	private String serverAddress;

	private int serverPort = -1;

	private long bytesIn;

	private long bytesOut;

	public LlmObservationContext(String route, String providerName, LlmRequest request, LlmResponse response,
			Map<String, String> attribution, long startNanos, boolean usageInjected) {
		super(Map::put, Kind.CLIENT);
		this.route = route;
		this.providerName = providerName;
		this.request = request;
		this.response = response;
		this.attribution = Collections.unmodifiableMap(new LinkedHashMap<>(attribution));
		this.startNanos = startNanos;
		this.usageInjected = usageInjected;
		// A plain map, not HttpHeaders: the propagators write a few distinct names once each, and
		// reading HttpHeaders back entry by entry copies its names into a case-insensitive set.
		setCarrier(new LinkedHashMap<>(8));
	}

	public String route() {
		return this.route;
	}

	public String providerName() {
		return this.providerName;
	}

	public Operation operation() {
		return this.request.operation();
	}

	public LlmRequest request() {
		return this.request;
	}

	public LlmResponse response() {
		return this.response;
	}

	/** Attribution label values by label name, in configuration order. */
	public Map<String, String> attribution() {
		return this.attribution;
	}

	public boolean isUsageInjected() {
		return this.usageInjected;
	}

	/** Marks the last byte of the response sent (or the call abandoned). */
	public void endNanos(long endNanos) {
		this.endNanos = endNanos;
	}

	/** Whole call duration in nanoseconds. */
	public long durationNanos() {
		return this.endNanos - this.startNanos;
	}

	/** Time to the first content chunk in nanoseconds, or -1 when there was none. */
	public long timeToFirstChunkNanos() {
		long first = this.response.firstContentNanos();
		return (first == 0) ? -1 : first - this.startNanos;
	}

	/** HTTP status the client received, or 0 when none was sent. */
	public int status() {
		return this.status;
	}

	public void status(int status) {
		this.status = status;
	}

	/**
	 * Records why the call failed outside the response body ({@code timeout},
	 * {@code upstream_reset}, {@code client_cancelled}, …). The first reason recorded wins.
	 */
	public void failure(String errorType) {
		if (this.failure == null) {
			this.failure = errorType;
		}
	}

	/** Whether a transport failure or cancellation was recorded. */
	public boolean hasFailure() {
		return this.failure != null;
	}

	/**
	 * The {@code error_type} of the call: a transport failure first, then an HTTP error status,
	 * then an error found in the body; {@code null} on success.
	 */
	public String errorType() {
		if (this.failure != null) {
			return this.failure;
		}
		if (this.status >= 400) {
			return Integer.toString(this.status);
		}
		return this.response.errorType();
	}

	/** Whether the response was a stream (SSE or NDJSON) that was opened to the client. */
	public boolean isStreamOpened() {
		return this.streamOpened;
	}

	public void streamOpened() {
		this.streamOpened = true;
	}

	/** Final token counts, or {@code null} when nothing is known. */
	public TokenUsage usage() {
		return this.usage;
	}

	public UsageSource usageSource() {
		return this.usageSource;
	}

	/** Whether {@link #usage()}'s output figure is known (an estimate needs the output text). */
	public boolean isOutputTokensKnown() {
		return this.outputTokensKnown;
	}

	public void usage(TokenUsage usage, UsageSource source, boolean outputTokensKnown) {
		this.usage = usage;
		this.usageSource = source;
		this.outputTokensKnown = outputTokensKnown;
	}

	/** The call's cost, or {@code null} when its model has no price or its usage is unknown. */
	public Cost cost() {
		return this.cost;
	}

	public void cost(Cost cost) {
		this.cost = cost;
	}

	public String method() {
		return this.method;
	}

	public String path() {
		return this.path;
	}

	public String userAgent() {
		return this.userAgent;
	}

	public void requestLine(String method, String path, String userAgent, long bytesIn) {
		this.method = method;
		this.path = path;
		this.userAgent = userAgent;
		this.bytesIn = bytesIn;
	}

	/** The upstream URL without query, or {@code null} when the call never got that far. */
	public String upstream() {
		return this.upstream;
	}

	public String serverAddress() {
		return this.serverAddress;
	}

	public int serverPort() {
		return this.serverPort;
	}

	public void upstream(String upstream, String serverAddress, int serverPort) {
		this.upstream = upstream;
		this.serverAddress = serverAddress;
		this.serverPort = serverPort;
	}

	public long bytesIn() {
		return this.bytesIn;
	}

	public long bytesOut() {
		return this.bytesOut;
	}

	public void addBytesOut(long bytes) {
		this.bytesOut += bytes;
	}

}
