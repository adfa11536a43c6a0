package io.llmgateway.config;

/**
 * Turns Netty's buffer leak detector off unless it is configured. Netty's own default samples one
 * buffer in 128 and records a stack trace for each: on the gateway's deep reactive stacks that
 * was ~3 % of the CPU of a call through the LLM route (the benchmark's {@code ab.sh}, same jar
 * with and without, 297 against 287 µs per call). The test suite runs every path with the
 * detector at {@code paranoid} and fails on a leak, which is where leaks are to be found.
 *
 * <p>An explicit {@code -Dio.netty.leakDetection.level} (or Netty's older
 * {@code io.netty.leakDetectionLevel}) always wins, e.g. {@code simple} to sample in production.
 */
public final class LeakDetectionDefault {

	/** Netty's system property for the detector's level. */
	public static final String LEVEL_PROPERTY = "io.netty.leakDetection.level";

	/** The name Netty still reads when the current one is not set. */
	static final String LEGACY_LEVEL_PROPERTY = "io.netty.leakDetectionLevel";

	private LeakDetectionDefault() {
	}

	/**
	 * Sets {@value #LEVEL_PROPERTY} to {@code disabled} unless either property is set. Must run
	 * before Netty's {@code ResourceLeakDetector} class is initialised, that is before the
	 * application context starts.
	 * @return the level Netty will use, as configured
	 */
	public static String applyDefault() {
		String configured = System.getProperty(LEVEL_PROPERTY, System.getProperty(LEGACY_LEVEL_PROPERTY));
		if (configured != null) {
			return configured;
		}
		System.setProperty(LEVEL_PROPERTY, "disabled");
		return "disabled";
	}

}
