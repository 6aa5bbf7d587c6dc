/** The header's sign-out form (it carries this session's CSRF token). */
export const leaveForm = () => document.querySelector("form.leave");
