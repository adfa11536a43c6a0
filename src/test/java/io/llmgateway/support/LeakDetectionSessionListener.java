package io.llmgateway.support;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Installs the leak-recording detectors when the test run starts, before any test class (and
 * so any Netty buffer class) is loaded.
 */
public class LeakDetectionSessionListener implements LauncherSessionListener {

	@Override
	public void launcherSessionOpened(LauncherSession session) {
		LeakRecordingDetectorFactory.install();
	}

}
