import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How the command-line programs read what must not be an argument (operator keys, PINs,
/// enrollment codes, key components — `ps` and shell histories show arguments): with echo
/// off from a terminal, or one line at a time from a pipe, for scripts.
public enum SecretInput {
    /// Nothing more to read: standard input ended.
    public struct EndOfInput: Error, CustomStringConvertible {
        public let prompt: String
        public var description: String { "no input for: \(prompt)" }
    }

    /// Whether standard input is a terminal (a person typing) rather than a pipe.
    public static var isInteractive: Bool { isatty(STDIN_FILENO) == 1 }

    /// A secret: the prompt on stderr and echo off when a person types it.
    public static func read(_ prompt: String) throws -> String {
        let interactive = isInteractive
        if interactive { FileHandle.standardError.write(Data(prompt.utf8)) }
        var saved = termios()
        let echoOff = interactive && tcgetattr(STDIN_FILENO, &saved) == 0
        if echoOff {
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        }
        defer {
            if echoOff {
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
                FileHandle.standardError.write(Data("\n".utf8))
            }
        }
        guard let line = Swift.readLine(strippingNewline: true) else { throw EndOfInput(prompt: prompt) }
        return line
    }

    /// An answer that is not secret (a check value, "press Enter"): echoed as usual.
    public static func readVisible(_ prompt: String) throws -> String {
        if isInteractive { FileHandle.standardError.write(Data(prompt.utf8)) }
        guard let line = Swift.readLine(strippingNewline: true) else { throw EndOfInput(prompt: prompt) }
        return line
    }
}
