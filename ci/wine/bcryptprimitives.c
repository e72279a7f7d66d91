/*
 * Stand-in for Windows' bcryptprimitives.dll, for CI under Wine only.
 *
 * Rust's std (1.78 and later) on Windows imports ProcessPrng from
 * bcryptprimitives.dll to seed its hash maps. Wine 8.0 (Debian 12) ships no
 * bcryptprimitives.dll, so a Rust .exe fails to load with status c0000135.
 * Real Windows 10/11 has the DLL; this file is never shipped to users.
 *
 * ProcessPrng(PBYTE pbData, SIZE_T cbData) fills the buffer with random bytes
 * and always returns TRUE. Here it forwards to RtlGenRandom, exported by
 * advapi32 as SystemFunction036 (which Wine implements), in chunks because
 * RtlGenRandom takes a ULONG length.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000u ? 0x40000000u : (ULONG)len;
        if (!SystemFunction036(data, chunk)) {
            /* Documented to never fail; abort rather than hand out zeros. */
            ExitProcess(0xC000000E);
        }
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, LPVOID reserved)
{
    (void)inst;
    (void)reason;
    (void)reserved;
    return TRUE;
}
