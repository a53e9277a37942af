import ArgumentParser
import Kernels

/// `--precision`, shared by every command that runs the language model.
struct PrecisionOption: ParsableArguments {
    @Option(help: ArgumentHelp("""
        How the model's linear layers multiply: f32 (OpenBLAS, the reference numbers), bf16 \
        (AMX tiles on Intel Xeon Sapphire Rapids or later: several times faster, about 1e-3 \
        relative error per product), or auto (bf16 where the CPU has AMX, else f32). The SAE \
        encoder's product follows, but its latents stay float32's (bf16 candidates, float32 check).
        """, valueName: "auto|f32|bf16"))
    var precision = "auto"

    func validate() throws {
        guard precision == "auto" || MatmulPrecision(rawValue: precision) != nil else {
            throw ValidationError("--precision must be auto, f32 or bf16, got '\(precision)'")
        }
    }

    /// The precision to load models in.
    var resolved: MatmulPrecision {
        MatmulPrecision(rawValue: precision) ?? .fastest
    }
}
