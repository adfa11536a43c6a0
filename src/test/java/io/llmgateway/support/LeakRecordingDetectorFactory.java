package io.llmgateway.support;

import java.util.ArrayList;
import java.util.List;

import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;

/**
 * Netty leak detectors that also remember every leak they report, so a test can fail on it.
 * Installed before any Netty buffer class loads (see {@link LeakDetectionSessionListener}), and
 * independent of logging, which Spring Boot reconfigures with every context.
 */
public final class LeakRecordingDetectorFactory extends ResourceLeakDetectorFactory {

	private static final List<String> leaks = new ArrayList<>();

	static void install() {
		ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new LeakRecordingDetectorFactory());
	}

	/** Leaks reported since the last call, then forgotten. */
	public static synchronized List<String> drain() {
		List<String> reported = new ArrayList<>(leaks);
		leaks.clear();
		return reported;
	}

	private static synchronized void record(String leak) {
		leaks.add(leak);
	}

	@Override
	@SuppressWarnings("deprecation")
	public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
			long maxActive) {
		return new ResourceLeakDetector<>(resource, samplingInterval, maxActive) {

			@Override
			protected void reportTracedLeak(String resourceType, String records) {
				record("LEAK: " + resourceType + records);
				super.reportTracedLeak(resourceType, records);
			}

			@Override
			protected void reportUntracedLeak(String resourceType) {
				record("LEAK: " + resourceType + " (no records)");
				super.reportUntracedLeak(resourceType);
			}

		};
	}

}
