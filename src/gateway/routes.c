/* routes.c: the route table (GW-1). */
#include "gateway/routes.h"
#include "core/mg.h"

#include <string.h>

#define N MG_SHAPE_NATIVE
#define O MG_SHAPE_OPENAI
#define A MG_SHAPE_ANTHROPIC
#define OWN0 {{MG_OWN_NONE, 0, 0, NULL, NULL, NULL}}
#define F MG_OWNED_FILE
#define V MG_OWNED_VOICE
#define REQ MG_OWN_REQUIRED
/* GW-6 rules, one per id: {op, kind, flags, query parameter, body path, response path} */
#define USE_Q(k, q) {MG_OWN_USE, k, REQ, q, NULL, NULL}
#define USE_B(k, b) {MG_OWN_USE, k, 0, NULL, b, NULL}
#define REFER_B(k, b) {MG_OWN_REFER, k, 0, NULL, b, NULL}
#define DELETE_B(k, b) {MG_OWN_DELETE, k, REQ, NULL, b, NULL}
#define CREATE_B(k, b) {MG_OWN_CREATE, k, REQ, NULL, b, NULL}
#define CREATE_R(k, r) {MG_OWN_CREATE, k, 0, NULL, NULL, r}
#define GRANT_R(k, r) {MG_OWN_GRANT, k, 0, NULL, NULL, r}
#define LIST_R(k, r) {MG_OWN_LIST, k, 0, NULL, NULL, r}
/* a custom voice may be named where a system voice is: checked only when it is someone's */
#define VOICES REFER_B(V, "voice_setting.voice_id"), REFER_B(V, "timbre_weights[].voice_id")

const struct mg_route mg_routes[] = {
    /* text */
    {"/v1/text/chatcompletion_v2", "POST", "chat_native", MG_SVC_CHAT, N, MG_BODY_JSON, 1, MG_USAGE_CHAT, MG_LOCAL_NONE, OWN0},
    {"/v1/chat/completions", "POST", "chat_openai", MG_SVC_CHAT, O, MG_BODY_JSON, 1, MG_USAGE_CHAT, MG_LOCAL_NONE, OWN0},
    {"/anthropic/v1/messages", "POST", "chat_anthropic", MG_SVC_CHAT, A, MG_BODY_JSON, 1, MG_USAGE_ANTHROPIC, MG_LOCAL_NONE, OWN0},
    {"/v1/models", "GET", "models", MG_SVC_CHAT, O, MG_BODY_NONE, 0, MG_USAGE_NONE, MG_LOCAL_NONE, OWN0},
    {"/anthropic/v1/models", "GET", "models_anthropic", MG_SVC_CHAT, A, MG_BODY_NONE, 0, MG_USAGE_NONE, MG_LOCAL_NONE, OWN0},
    /* speech */
    {"/v1/t2a_v2", "POST", "speech", MG_SVC_SPEECH, N, MG_BODY_JSON, 1, MG_USAGE_SPEECH, MG_LOCAL_NONE, {VOICES}},
    {"/v1/t2a_async_v2", "POST", "speech_async", MG_SVC_SPEECH, N, MG_BODY_JSON, 1, MG_USAGE_SPEECH, MG_LOCAL_NONE,
     {CREATE_R(MG_OWNED_SPEECH_TASK, "task_id"), GRANT_R(F, "file_id"), USE_B(F, "text_file_id"), VOICES}},
    {"/v1/query/t2a_async_query_v2", "GET", "speech_async_query", MG_SVC_SPEECH, N, MG_BODY_NONE, 0, MG_USAGE_NONE,
     MG_LOCAL_NONE, {USE_Q(MG_OWNED_SPEECH_TASK, "task_id"), GRANT_R(F, "file_id")}},
    {"/v1/get_voice", "POST", "voices", MG_SVC_SPEECH, N, MG_BODY_JSON, 0, MG_USAGE_NONE, MG_LOCAL_NONE,
     {LIST_R(V, "voice_cloning[].voice_id"), LIST_R(V, "voice_generation[].voice_id")}},
    {"/v1/delete_voice", "POST", "voice_delete", MG_SVC_VOICE, N, MG_BODY_JSON, 0, MG_USAGE_NONE, MG_LOCAL_NONE,
     {DELETE_B(V, "voice_id")}},
    {"/v1/voice_clone", "POST", "voice_clone", MG_SVC_VOICE, N, MG_BODY_JSON, 0, MG_USAGE_VOICE, MG_LOCAL_NONE,
     {CREATE_B(V, "voice_id"), USE_B(F, "file_id"), USE_B(F, "clone_prompt.prompt_audio")}},
    {"/v1/voice_design", "POST", "voice_design", MG_SVC_VOICE, N, MG_BODY_JSON, 0, MG_USAGE_VOICE, MG_LOCAL_NONE,
     {REFER_B(V, "voice_id"), CREATE_R(V, "voice_id")}},
    /* video: images are URLs or data: URIs, not file ids (MINIMAX-API.md 2.7) */
    {"/v1/video_generation", "POST", "video", MG_SVC_VIDEO, N, MG_BODY_JSON, 1, MG_USAGE_NONE, MG_LOCAL_NONE,
     {CREATE_R(MG_OWNED_VIDEO_TASK, "task_id")}},
    {"/v1/query/video_generation", "GET", "video_query", MG_SVC_VIDEO, N, MG_BODY_NONE, 0, MG_USAGE_VIDEO, MG_LOCAL_NONE,
     {USE_Q(MG_OWNED_VIDEO_TASK, "task_id"), GRANT_R(F, "file_id")}},
    /* image, music: references are URLs or inline data, not ids */
    {"/v1/image_generation", "POST", "image", MG_SVC_IMAGE, N, MG_BODY_JSON, 1, MG_USAGE_IMAGE, MG_LOCAL_NONE, OWN0},
    {"/v1/music_generation", "POST", "music", MG_SVC_MUSIC, N, MG_BODY_JSON, 1, MG_USAGE_MUSIC, MG_LOCAL_NONE, OWN0},
    /* files */
    {"/v1/files/upload", "POST", "file_upload", MG_SVC_FILES, N, MG_BODY_MULTIPART, 0, MG_USAGE_NONE, MG_LOCAL_NONE,
     {CREATE_R(F, "file.file_id")}},
    {"/v1/files/list", "GET", "file_list", MG_SVC_FILES, N, MG_BODY_NONE, 0, MG_USAGE_NONE, MG_LOCAL_NONE,
     {LIST_R(F, "files[].file_id"), LIST_R(F, "data[].file_id")}},
    {"/v1/files/retrieve", "GET", "file_retrieve", MG_SVC_FILES, N, MG_BODY_NONE, 0, MG_USAGE_NONE, MG_LOCAL_NONE,
     {USE_Q(F, "file_id")}},
    {"/v1/files/retrieve_content", "GET", "file_content", MG_SVC_FILES, N, MG_BODY_NONE, 0, MG_USAGE_NONE, MG_LOCAL_NONE,
     {USE_Q(F, "file_id")}},
    {"/v1/files/delete", "POST", "file_delete", MG_SVC_FILES, N, MG_BODY_JSON, 0, MG_USAGE_NONE, MG_LOCAL_NONE,
     {DELETE_B(F, "file_id")}},
    /* quota: answered by maxgate from the caller's own budget */
    {"/v1/token_plan/remains", "GET", "quota_plan", MG_SVC_QUOTA, N, MG_BODY_NONE, 0, MG_USAGE_NONE, MG_LOCAL_TOKEN_PLAN, OWN0},
    {"/account/query_balance", "GET", "quota_balance", MG_SVC_QUOTA, N, MG_BODY_NONE, 0, MG_USAGE_NONE, MG_LOCAL_BALANCE, OWN0},
};
const size_t mg_nroutes = MG_ARRAY_SIZE(mg_routes);

const struct mg_route *mg_route_find(const char *path, size_t len, const char *method, size_t mlen, int *method_ok)
{
    *method_ok = 1;
    for (size_t i = 0; i < mg_nroutes; i++) {
        const struct mg_route *r = &mg_routes[i];
        if (strlen(r->path) == len && memcmp(r->path, path, len) == 0) {
            if (strlen(r->method) == mlen && memcmp(r->method, method, mlen) == 0)
                return r;
            *method_ok = 0;
        }
    }
    return NULL;
}

enum mg_err_shape mg_route_shape_for(const char *path, size_t len)
{
    if (len >= 10 && memcmp(path, "/anthropic", 10) == 0)
        return MG_SHAPE_ANTHROPIC;
    if (len >= 20 && memcmp(path, "/v1/chat/completions", 20) == 0)
        return MG_SHAPE_OPENAI;
    return MG_SHAPE_NATIVE;
}
