package org.oialr.arch;

import org.oialr.method.TrainingMethod;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering of ARCHITECTURE.md, enforced on the compiled classes of the core artifacts, engine, autodiff and oialr
 * (tests excluded; engine-cuda and cli are separate artifacts that depend on these, never the reverse): no package
 * cycles, nothing reaches the CUDA binding, the core needs no command-line parser, charting library, Gson or native
 * binding, the trainer knows no training method, and the training methods know neither each other nor the trainer.
 */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void load() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("org.oialr");
        // the rules below mean something only if all three core artifacts were imported
        for (String c : new String[] {"org.oialr.engine.Tensor", "org.oialr.nn.Module", "org.oialr.train.Trainer"}) {
            if (!classes.contain(c)) throw new IllegalStateException("ArchUnit did not import " + c);
        }
    }

    @Test
    void noPackageCycles() {
        slices().matching("org.oialr.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void layers() {
        ArchRule rule = layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("engine").definedBy("org.oialr.engine..")
                .layer("autodiff").definedBy("org.oialr.autodiff..", "org.oialr.nn..", "org.oialr.optim..")
                .layer("lowrank").definedBy("org.oialr.lowrank..")
                .layer("method").definedBy("org.oialr.method..")
                .layer("data").definedBy("org.oialr.data..")
                .layer("train").definedBy("org.oialr.train..")
                .layer("model").definedBy("org.oialr.model..")
                .layer("io").definedBy("org.oialr.io..")
                .whereLayer("model").mayNotBeAccessedByAnyLayer()
                .whereLayer("train").mayOnlyBeAccessedByLayers("model")
                .whereLayer("method").mayOnlyBeAccessedByLayers("train", "model")
                .whereLayer("lowrank").mayOnlyBeAccessedByLayers("method", "train", "model")
                .whereLayer("data").mayOnlyBeAccessedByLayers("train", "method", "model")
                .whereLayer("autodiff").mayOnlyBeAccessedByLayers("lowrank", "method", "data", "train", "model")
                .whereLayer("io").mayOnlyBeAccessedByLayers("data", "train", "model")
                .whereLayer("engine").mayOnlyBeAccessedByLayers("autodiff", "lowrank", "method", "data", "train", "model", "io");
        rule.check(classes);
    }

    @Test
    void nothingInTheCoreTouchesCuda() {
        noClasses().should().dependOnClassesThat().resideInAPackage("org.oialr.engine.cuda..")
                .because("the CUDA backend (oialr-engine-cuda) is found at run time through the BackendProvider service; "
                        + "JavaCPP types stay inside org.oialr.engine.cuda")
                .check(classes);
    }

    @Test
    void theCoreNeedsNoCommandLineParserChartingJsonOrNativeLibrary() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("picocli..", "org.jfree..", "com.google.gson..", "org.bytedeco..")
                .because("org.oialr:oialr and what it depends on are the library: the command line (picocli), its charts (JFreeChart) "
                        + "and the CUDA binding (bytedeco) live in oialr-cli and oialr-engine-cuda, and JSON is org.oialr.io.Json")
                .check(classes);
        noClasses().should().dependOnClassesThat().resideInAPackage("org.oialr.cli..")
                .because("the command line is a client of the library, never the reverse")
                .check(classes);
    }

    @Test
    void trainingMethodsAreIndependentPlugIns() {
        String[] methods = {"full", "oialr", "svdtraining", "lorita", "dlrt", "twofactor"};
        for (String m : methods) {
            for (String other : methods) {
                if (other.equals(m)) continue;
                noClasses().that().resideInAPackage("org.oialr.method." + m + "..")
                        .should().dependOnClassesThat().resideInAPackage("org.oialr.method." + other + "..")
                        .because("a training method is one package that adds to the registry, never to another method")
                        .check(classes);
            }
        }
        noClasses().that().resideInAPackage("org.oialr.method..")
                .should().dependOnClassesThat().resideInAnyPackage("org.oialr.train..")
                .because("methods see the trainer only through the TrainingMethod SPI")
                .check(classes);
        noClasses().that().resideInAnyPackage("org.oialr.train..")
                .should().dependOnClassesThat().resideInAnyPackage("org.oialr.method.*..")
                .because("the trainer knows no method; the command line finds them in the registry")
                .check(classes);
    }
}
