package org.oialr.engine.cuda;

import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.ClassNameFilter;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Runs the native tests without Maven (on a GPU machine with only a Java runtime and the jars, see
 * README.md): first the probe's outcome and the CUDA libraries found (once), then every {@code *Test} class
 * of this module, one line per failed test, one line per distinct skip reason (with the count, and the names
 * when few), then "N passed, N failed, N skipped". Exit status 1 when a test failed, or, with {@code oialr.cuda.required=true},
 * when CUDA is not usable (then no test runs) or a test was skipped.
 */
public final class NativeTestsMain {
    private NativeTestsMain() {
    }

    /** The directory or jar this class was loaded from: native-tests' own test classes (not engine's test-jar). */
    private static Path ownRoot() {
        try {
            return Path.of(NativeTestsMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the native tests' classes", e);
        }
    }

    public static void main(String[] args) {
        PrintStream out = System.out;
        Object probe = CudaBackend.probe();
        out.println(probe instanceof CudaBackend be ? "CUDA backend: " + be.description() : "CUDA not usable: " + probe);
        for (String line : LibraryScan.summary()) out.println("  " + line);
        boolean required = Boolean.getBoolean("oialr.cuda.required");
        if (required && !(probe instanceof CudaBackend)) {
            out.println("not running the native tests: CUDA is required (oialr.cuda.required=true) but not usable here");
            System.exit(1);
        }
        AtomicLong passed = new AtomicLong(), failed = new AtomicLong(), skipped = new AtomicLong();
        Map<String, List<String>> skipReasons = new LinkedHashMap<>();
        TestExecutionListener listener = new TestExecutionListener() {
            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                if (id.isTest()) skipped.incrementAndGet();
                skipReasons.computeIfAbsent(reason, r -> new ArrayList<>()).add(id.getLegacyReportingName());
            }

            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (!id.isTest() && result.getStatus() == TestExecutionResult.Status.SUCCESSFUL) return;
                String name = id.getUniqueId().replaceAll("\\[engine:[^]]*]/", "");
                switch (result.getStatus()) {
                    case SUCCESSFUL:
                        passed.incrementAndGet();
                        break;
                    case ABORTED:
                        skipped.incrementAndGet();
                        skipReasons.computeIfAbsent(result.getThrowable().map(Throwable::getMessage).orElse(""), r -> new ArrayList<>()).add(name);
                        break;
                    default:
                        failed.incrementAndGet();
                        out.println("FAILED " + name + ": " + result.getThrowable().map(Throwable::toString).orElse(""));
                        result.getThrowable().ifPresent(t -> t.printStackTrace(out));
                }
            }
        };
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(DiscoverySelectors.selectClasspathRoots(Set.of(ownRoot())))
                .filters(ClassNameFilter.includeClassNamePatterns(".*Test"))
                .build();
        Launcher launcher = LauncherFactory.create();
        launcher.execute(request, listener);
        skipReasons.forEach((reason, names) -> out.println("SKIPPED " + names.size() + (names.size() == 1 ? " test" : " tests")
                + (names.size() <= 3 ? " (" + String.join(", ", names) + ")" : "") + ": " + reason));
        out.println(passed.get() + " passed, " + failed.get() + " failed, " + skipped.get() + " skipped");
        System.exit(failed.get() > 0 || (required && skipped.get() > 0) ? 1 : 0);
    }
}
