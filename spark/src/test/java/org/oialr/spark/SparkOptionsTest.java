package org.oialr.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.List;
import org.apache.spark.launcher.JavaModuleOptions;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The test JVM has Spark's JVM options (the pom's spark.jvm.args), and SLF4J has one backend: slf4j-simple. */
class SparkOptionsTest {
    @Test
    void thePomsJvmOptionsAreSparks() {
        List<String> jvm = ManagementFactory.getRuntimeMXBean().getInputArguments();
        for (String option : JavaModuleOptions.defaultModuleOptionArray()) {
            assertTrue(jvm.contains(option), () -> "spark.jvm.args in the root pom.xml lacks Spark's " + option);
        }
        assertTrue(SparkSessions.javaOptions().endsWith("--add-modules jdk.incubator.vector"));
    }

    @Test
    void slf4jHasOneBackend() {
        assertEquals("org.slf4j.simple.SimpleLoggerFactory", LoggerFactory.getILoggerFactory().getClass().getName());
        assertThrows(ClassNotFoundException.class, () -> Class.forName("org.apache.logging.slf4j.Log4jLoggerFactory"));
    }
}
