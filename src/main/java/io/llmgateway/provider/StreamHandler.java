package io.llmgateway.provider;

import io.llmgateway.stream.Frame;

/**
 * Reads the frames of one streamed response into its {@link LlmResponse}.
 */
@FunctionalInterface
public interface StreamHandler {

	/**
	 * Handles one frame.
	 * @return {@code false} to keep the frame from the client (only frames the gateway caused,
	 * such as a usage chunk the client did not ask for)
	 */
	boolean onFrame(Frame frame);

}
