package io.llmgateway.simulator;

import java.time.Duration;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * The built-in LLM simulator, for demos and tests without a provider or an API key. Each
 * pacing value can be overridden per request with the header named in its description.
 */
@Validated
@ConfigurationProperties("llm-gateway.simulator")
public class SimulatorProperties {

	/**
	 * Whether the simulator answers at {@code /simulator/openai/v1/chat/completions}.
	 */
	private boolean enabled;

	/**
	 * Delay before the first chunk of a stream, or before a whole JSON answer starts
	 * ({@code x-simulator-first-chunk-delay-ms}).
	 */
	@NotNull
	private Duration firstChunkDelay = Duration.ofMillis(200);

	/**
	 * Delay between two chunks of a stream ({@code x-simulator-chunk-delay-ms}).
	 */
	@NotNull
	private Duration chunkDelay = Duration.ofMillis(40);

	/**
	 * Content chunks in a stream ({@code x-simulator-chunk-count}).
	 */
	@Min(1)
	@Max(1_000_000)
	private int chunkCount = 16;

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public Duration getFirstChunkDelay() {
		return this.firstChunkDelay;
	}

	public void setFirstChunkDelay(Duration firstChunkDelay) {
		this.firstChunkDelay = firstChunkDelay;
	}

	public Duration getChunkDelay() {
		return this.chunkDelay;
	}

	public void setChunkDelay(Duration chunkDelay) {
		this.chunkDelay = chunkDelay;
	}

	public int getChunkCount() {
		return this.chunkCount;
	}

	public void setChunkCount(int chunkCount) {
		this.chunkCount = chunkCount;
	}

}
